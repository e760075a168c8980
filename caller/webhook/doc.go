// Package webhook is a [signedcall.Caller] that places each call by
// sending it, as JSON, to the host's own call service over HTTP. Each
// request is signed with a secret shared with the service, and the
// service answers with the call's outcome. [Verify] and [NewHandler] are
// the receiving side, for services written in Go; the scheme below is all
// a service in another language needs.
//
// # Request
//
// Each call is one request, answered when the call has an outcome:
//
//	POST <Config.URL>
//	Content-Type: application/json
//	Idempotency-Key: <idempotency_key>
//	X-Signedcall-Timestamp: <unix seconds>
//	X-Signedcall-Signature: v1=<64 lowercase hex digits>
//
//	{"idempotency_key":"0193a0e0-3c00-7000-8000-00000000a11c:user-00042:1",
//	 "campaign_id":"0193a0e0-3c00-7000-8000-00000000a11c",
//	 "user_id":"user-00042","phone":"+12125550142",
//	 "call_context":"About your order","attempt":1,
//	 "signature":"<base64>"}
//
// The body is one JSON object (see [Payload]): idempotency_key is the
// same on every try of one attempt and differs between attempts;
// campaign_id is a UUID in canonical form; phone is E.164; call_context
// is the reason to show the person called; attempt counts from 1;
// signature, present only when the dispatcher has a SigningKey, is the
// standard base64 (with padding) of the Ed25519 signature the called
// person's app checks with [signedcall.VerifyCallRequest]. Fields may be
// added later: a service must ignore names it does not know.
//
// # Signature
//
// X-Signedcall-Signature is a comma-separated list of scheme=value
// entries; this version sends one, v1. A receiver:
//
//  1. reads the body as raw bytes, at most 1 MiB ([MaxBodyBytes]), before
//     parsing it;
//  2. takes X-Signedcall-Timestamp, decimal Unix seconds (digits only),
//     and rejects it if it is more than the tolerance (5 minutes
//     suggested) before or after its own clock;
//  3. computes HMAC-SHA256 with the shared secret as key over the
//     timestamp header's text, one "." and the raw body bytes, and writes
//     it as 64 lowercase hex digits;
//  4. accepts the request only if some v1 entry equals that, compared in
//     constant time; other schemes are ignored;
//  5. takes the idempotency key from the signed body (the header copy
//     is for proxies and logs and is not signed) and places at most one
//     call per key: a request whose key it has seen gets the first
//     answer again, or 409 while that call is still in progress.
//
// Within the tolerance a captured request can be sent again; step 5 is
// what makes that harmless. Because the signature covers the whole body,
// a service cannot act on a request that arrived only in part.
//
// # Response
//
// A service answers 200 with a JSON object naming the outcome,
//
//	{"outcome":"answered"}
//
// one of answered, declined, missed, busy or failed (other fields are
// ignored). Call maps every answer to one of three results, which the
// dispatcher records as shown:
//
//   - outcome: 200 with a known outcome, recorded as that outcome.
//   - not dialled, the error matches [signedcall.ErrNotDialled] and the
//     delivery is recorded failed: the request never completely left
//     this process (ctx ended before sending, a DNS failure, connection
//     refused, a TLS handshake failure, an error while writing it), or
//     the service refused it
//     with 400, 401, 403, 404, 405, 408, 410, 411, 413, 414, 415, 421,
//     422, 425, 429, 431, 451 or 503. These statuses say the request was
//     rejected as sent, or (503) that the service did not start the call.
//   - unknown, any other error, and the delivery is recorded unknown and
//     never dialled again automatically: no answer after the request was
//     written (a timeout, a reset connection), 409, every 1xx, 2xx other
//     than 200, 3xx (redirects are not followed, and 303 often answers a
//     POST that was acted on), any 4xx not listed, 500, 502, 504 and
//     every other 5xx, or a 200 whose body is not JSON, is over 64 KiB
//     or names no known outcome.
//
// A service must therefore answer 503 only when it did not start the
// call, and a proxy in front of it must not turn a failure after it
// forwarded the request into a 503 (Envoy's default for an upstream
// reset does; make it answer 502). HTTP statuses are reported as a
// [*StatusError], so errors.As gives the code.
//
// The request is bounded by Config.Timeout and by the ctx passed to
// Call, whichever ends first. The service answers when the outcome is
// known, so Timeout must cover the time a call rings, and the
// dispatcher's CallTimeout should be longer than Timeout.
//
// The body carries the phone number: use https anywhere but a private
// network. This package never logs, and its errors never hold a phone
// number.
package webhook
