package signedcall

import (
	"crypto/ed25519"
	"encoding/binary"
	"errors"
	"fmt"
)

// SignatureVersion prefixes the signed payload of a call request, so a
// verifier can tell which fields a signature covers.
const SignatureVersion = "signedcall-call-v1"

// ErrBadSignature is returned by VerifyCallRequest when a signature does
// not match the request and key.
var ErrBadSignature = errors.New("signedcall: call request signature does not verify")

// SigningPayload returns the exact bytes a call request's signature
// covers, so that the called person's app can show the call really comes
// from the brand, for the stated reason. They are, in order, each as a
// big-endian uint32 length followed by its bytes:
//
//	"signedcall-call-v1"
//	IdempotencyKey
//	CampaignID in canonical text form (36 characters)
//	UserID
//	Phone (E.164)
//	CallContext (UTF-8)
//	Attempt in decimal
//
// Lengths make the encoding unambiguous: no field can borrow bytes from
// its neighbour.
func (r CallRequest) SigningPayload() []byte {
	fields := []string{
		SignatureVersion, r.IdempotencyKey, r.CampaignID.String(), r.UserID,
		r.Phone, r.CallContext, fmt.Sprint(r.Attempt),
	}
	n := 0
	for _, f := range fields {
		n += 4 + len(f)
	}
	b := make([]byte, 0, n)
	for _, f := range fields {
		b = binary.BigEndian.AppendUint32(b, uint32(len(f)))
		b = append(b, f...)
	}
	return b
}

// SignCallRequest returns the Ed25519 signature of r's SigningPayload.
func SignCallRequest(key ed25519.PrivateKey, r CallRequest) []byte {
	return ed25519.Sign(key, r.SigningPayload())
}

// VerifyCallRequest checks r.Signature against the campaign's public key.
// It returns ErrBadSignature if the signature is missing or does not match
// any field listed on SigningPayload.
func VerifyCallRequest(pub ed25519.PublicKey, r CallRequest) error {
	if len(pub) != ed25519.PublicKeySize {
		return fmt.Errorf("signedcall: public key is %d bytes, want %d", len(pub), ed25519.PublicKeySize)
	}
	if len(r.Signature) != ed25519.SignatureSize || !ed25519.Verify(pub, r.SigningPayload(), r.Signature) {
		return ErrBadSignature
	}
	return nil
}
