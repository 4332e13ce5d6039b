/** The task queue the worker polls and every client starts workflows on (overridable by config). */
export const DEFAULT_TASK_QUEUE = 'autoglm-deploy';
