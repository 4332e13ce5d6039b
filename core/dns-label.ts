import { z } from 'zod';

/** A Kubernetes object or namespace name (RFC 1123 label). */
export const dnsLabel = z
  .string()
  .min(1)
  .max(63)
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'lower-case letters, digits and "-", starting and ending with a letter or digit');
