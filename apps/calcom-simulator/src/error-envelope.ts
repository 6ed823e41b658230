/**
 * Error bodies exactly as Cal.com's HttpExceptionFilter writes them (docs/calcom.md): the code is the NestJS
 * exception class name, and `details` is what NestJS builds for `new XException(message)`.
 */

const exceptionByStatus: Record<number, { code: string; error: string }> = {
  400: { code: 'BadRequestException', error: 'Bad Request' },
  401: { code: 'UnauthorizedException', error: 'Unauthorized' },
  403: { code: 'ForbiddenException', error: 'Forbidden' },
  404: { code: 'NotFoundException', error: 'Not Found' },
  409: { code: 'ConflictException', error: 'Conflict' },
  422: { code: 'UnprocessableEntityException', error: 'Unprocessable Entity' },
  500: { code: 'InternalServerErrorException', error: 'Internal Server Error' },
  502: { code: 'BadGatewayException', error: 'Bad Gateway' },
  503: { code: 'ServiceUnavailableException', error: 'Service Unavailable' },
  504: { code: 'GatewayTimeoutException', error: 'Gateway Timeout' },
};

export interface ErrorEnvelope {
  status: 'error';
  timestamp: string;
  path: string;
  error: { code: string; message: string; details: unknown };
}

export function errorEnvelope(status: number, path: string, message: string): ErrorEnvelope {
  const exception = exceptionByStatus[status] ?? { code: 'HttpException', error: 'Error' };
  return {
    status: 'error',
    timestamp: new Date().toISOString(),
    path,
    error: {
      code: exception.code,
      message,
      details: { message, error: exception.error, statusCode: status },
    },
  };
}

export const THROTTLED_MESSAGE = 'CustomThrottlerGuard - Too many requests. Please try again later.';

/** ThrottlerException carries its message as plain-string details (fixture error-429.json). */
export function throttledEnvelope(path: string): ErrorEnvelope {
  return {
    status: 'error',
    timestamp: new Date().toISOString(),
    path,
    error: { code: 'ThrottlerException', message: THROTTLED_MESSAGE, details: THROTTLED_MESSAGE },
  };
}

/** The validation pipe throws `new BadRequestException({ errors })`, whose message NestJS derives from the class. */
export function validationEnvelope(path: string, errors: unknown[]): ErrorEnvelope {
  return {
    status: 'error',
    timestamp: new Date().toISOString(),
    path,
    error: { code: 'BadRequestException', message: 'Bad Request Exception', details: { errors } },
  };
}
