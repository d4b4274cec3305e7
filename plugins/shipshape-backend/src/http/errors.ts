import {
  ConflictError,
  InputError,
  NotAllowedError,
  NotFoundError,
  ServiceUnavailableError,
} from '@backstage/errors';
import * as k8s from '@kubernetes/client-node';
import express from 'express';
import { DeadlineError } from './deadline';

/**
 * A Kubernetes API error that reached a route (the API server refused a request or an object is
 * missing) answers as what it is, with the API server's own message (which names the field or
 * object), instead of a 500: 400 and 422 are an InputError, 401 and 403 a NotAllowedError, 404 a
 * NotFoundError, 409 a ConflictError. A call past its deadline (a cluster that does not answer) is
 * a ServiceUnavailableError (503) naming the call. Any other error passes unchanged.
 */
export function kubernetesErrors(
  error: unknown,
  _req: express.Request,
  _res: express.Response,
  next: express.NextFunction,
): void {
  next(fromKubernetesError(error));
}

export function fromKubernetesError(error: unknown): unknown {
  if (error instanceof DeadlineError) {
    return new ServiceUnavailableError(error.message);
  }
  if (!(error instanceof k8s.ApiException)) return error;
  const code = error.code as number;
  const message = `Kubernetes answered ${code}: ${kubernetesMessage(
    error.body,
  )}`;
  if (code === 400 || code === 422) return new InputError(message);
  if (code === 401 || code === 403) return new NotAllowedError(message);
  if (code === 404) return new NotFoundError(message);
  if (code === 409) return new ConflictError(message);
  return error;
}

/** The message of a Kubernetes Status body (a JSON string or object), else the body itself. */
function kubernetesMessage(body: unknown): string {
  let status = body;
  if (typeof body === 'string') {
    try {
      status = JSON.parse(body);
    } catch {
      return body.slice(0, 500) || '(no message)';
    }
  }
  const message = (status as { message?: unknown } | undefined)?.message;
  return typeof message === 'string' && message
    ? message.slice(0, 1000)
    : JSON.stringify(status ?? '(no message)').slice(0, 500);
}
