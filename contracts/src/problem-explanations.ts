import type { ErrorCode } from './problem.ts';

/** What each problem `type` means for a client and what to do about it; served at `/problems/<code>`. */
export const errorExplanation: Record<ErrorCode, string> = {
  validation_failed:
    'A parameter, header or body field is invalid. `errors` lists every invalid field with its path (for a CSV, ' +
    'its row and column) and what is wrong with it. Fix them and send the request again.',
  unauthorized:
    'The operation needs an API key (writes when AUTH_MODE is `writes`, every `/api` call when it is `all`, the ' +
    'keys API always), and none was sent, or the key is unknown, expired or revoked. Send ' +
    '`Authorization: Bearer <API key>` with a valid key.',
  forbidden:
    'The key is valid but lacks the scope this operation needs; `detail` names the scope. Ask an administrator ' +
    'for a key with it.',
  not_found: 'Nothing exists at this path: no such product, upload request, file or route.',
  method_not_allowed: 'The path exists but does not accept this method. `Allow` lists the methods it accepts.',
  conflict:
    'The request conflicts with the current state: a product with this serial number exists, an ' +
    'Idempotency-Key was used with another body, or the output CSV is not ready while the request is processing.',
  payload_too_large: 'The body is larger than the operation accepts; send a smaller one.',
  unsupported_media_type:
    'The body is not of a type the operation accepts: JSON for products, a CSV or images for uploads.',
  rate_limited:
    'The client used its budget for the current window. `Retry-After` says how many seconds to wait; ' +
    'the `RateLimit-*` headers of every limited response show the budget.',
  headers_too_large:
    'The request line and headers together are larger than the gateway accepts (16 KiB): a very long URL, ' +
    'or oversized headers such as cookies. Send a shorter request.',
  internal: 'The platform failed unexpectedly. Nothing is known to have changed; quote `request_id` when reporting it.',
  bad_gateway: 'The gateway could not reach the service behind it, or the service broke off its answer. Retry.',
  unavailable:
    'A dependency (the database, or another service) is unavailable for now; nothing was changed. Retry after ' +
    '`Retry-After` seconds.',
  gateway_timeout: 'The service behind the gateway did not answer in time. Retry; an upload may have been accepted.',
};
