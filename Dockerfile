# The worker image (infra/worker/deployment.yaml). Node 20, the compiled sources and the prebuilt
# workflow bundle, production dependencies only, run as a non-root user.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
USER 10001
ENV NODE_ENV=production AUTOGLM_WORKFLOW_BUNDLE=dist/workflow-bundle.js
ENTRYPOINT ["node", "dist/worker/main.js"]
