// Some ESM-only packages export only an `import` condition, which Jest's CommonJS resolver
// does not try. Fall back to it; the file found is then compiled to CommonJS (see jest.config.js).
module.exports = (request, options) => {
  try {
    return options.defaultResolver(request, options);
  } catch (err) {
    const conditions = [...(options.conditions ?? ['require', 'default']), 'import'];
    try {
      return options.defaultResolver(request, { ...options, conditions });
    } catch {
      throw err;
    }
  }
};
