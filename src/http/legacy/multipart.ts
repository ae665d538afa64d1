import type { NextFunction, Request, RequestHandler, Response } from 'express';
import express from 'express';

/**
 * Reads `multipart/form-data` bodies into `req.body` with Node's own form-data parser (the one `fetch` uses), text
 * fields only: the legacy routes of this server take no files.
 */
export function multipartFields(limit: string): RequestHandler[] {
  return [
    express.raw({ type: 'multipart/form-data', limit }),
    (req: Request, _res: Response, next: NextFunction) => {
      if (!Buffer.isBuffer(req.body)) return next();
      const body = new Response(new Uint8Array(req.body), {
        headers: { 'content-type': req.get('content-type') ?? '' },
      });
      body.formData().then(
        (form) => {
          const fields: Record<string, string> = {};
          form.forEach((value, name) => {
            if (typeof value === 'string') fields[name] = value;
          });
          req.body = fields;
          next();
        },
        () =>
          next(Object.assign(new Error('The multipart body is malformed.'), { status: 400, expose: true })),
      );
    },
  ];
}
