package sip

import (
	"encoding/base64"
	"net/url"
	"strconv"
	"strings"

	"github.com/emiago/sipgo"
	sipmsg "github.com/emiago/sipgo/sip"
	"github.com/google/uuid"

	"github.com/signedcall/signedcall"
)

// The headers that carry a call request to the far end; see the package
// documentation for their encoding.
const (
	// HeaderIdempotencyKey carries CallRequest.IdempotencyKey, encoded.
	HeaderIdempotencyKey = "X-Signedcall-Idempotency-Key"
	// HeaderCampaign carries CallRequest.CampaignID.
	HeaderCampaign = "X-Signedcall-Campaign"
	// HeaderUserID carries CallRequest.UserID, encoded.
	HeaderUserID = "X-Signedcall-User-Id"
	// HeaderAttempt carries CallRequest.Attempt in decimal.
	HeaderAttempt = "X-Signedcall-Attempt"
	// HeaderContext carries CallRequest.CallContext, encoded.
	HeaderContext = "X-Signedcall-Context"
	// HeaderSignature carries CallRequest.Signature in standard base64,
	// when the request is signed.
	HeaderSignature = "X-Signedcall-Signature"
)

// EncodeHeader percent-encodes s for a header value, as [url.PathEscape]
// does: the result is printable ASCII with no spaces or line breaks.
func EncodeHeader(s string) string { return url.PathEscape(s) }

// DecodeHeader reverses [EncodeHeader].
func DecodeHeader(v string) (string, error) { return url.PathUnescape(v) }

// newInvite builds the INVITE for req, short of its Contact and body,
// which need the local port (see finishInvite).
func (c *Caller) newInvite(req signedcall.CallRequest, user string) *sipmsg.Request {
	target := sipmsg.Uri{Scheme: "sip", User: user, Host: c.host, Port: c.port}
	if c.transport == "TCP" {
		target.UriParams = sipmsg.NewParams()
		target.UriParams.Add("transport", "tcp")
	}
	r := sipmsg.NewRequest(sipmsg.INVITE, target)
	r.SetTransport(c.transport)

	from := &sipmsg.FromHeader{DisplayName: c.cfg.DisplayName, Address: *c.from.Clone(), Params: sipmsg.NewParams()}
	from.Params.Add("tag", sipmsg.GenerateTagN(16))
	to := &sipmsg.ToHeader{Address: sipmsg.Uri{Scheme: "sip", User: user, Host: c.host}}
	callID := sipmsg.CallIDHeader(uuid.NewString())
	r.AppendHeader(from)
	r.AppendHeader(to)
	r.AppendHeader(&callID)
	r.AppendHeader(&sipmsg.CSeqHeader{SeqNo: 1, MethodName: sipmsg.INVITE})
	maxFwd := sipmsg.MaxForwardsHeader(70)
	r.AppendHeader(&maxFwd)
	r.AppendHeader(sipmsg.NewHeader("User-Agent", c.cfg.UserAgent))
	r.AppendHeader(sipmsg.NewHeader("Allow", "INVITE, ACK, CANCEL, BYE, OPTIONS"))
	for _, h := range requestHeaders(req) {
		r.AppendHeader(h)
	}
	// Adds Via (its sent-by filled in when the connection is chosen) and
	// the local address to send from.
	_ = sipgo.ClientRequestBuild(c.client, r)
	return r
}

// requestHeaders returns the X-Signedcall-* headers for req.
func requestHeaders(req signedcall.CallRequest) []sipmsg.Header {
	hs := []sipmsg.Header{
		sipmsg.NewHeader(HeaderIdempotencyKey, EncodeHeader(req.IdempotencyKey)),
		sipmsg.NewHeader(HeaderCampaign, req.CampaignID.String()),
		sipmsg.NewHeader(HeaderUserID, EncodeHeader(req.UserID)),
		sipmsg.NewHeader(HeaderAttempt, strconv.Itoa(req.Attempt)),
		sipmsg.NewHeader(HeaderContext, EncodeHeader(req.CallContext)),
	}
	if len(req.Signature) > 0 {
		hs = append(hs, sipmsg.NewHeader(HeaderSignature, base64.StdEncoding.EncodeToString(req.Signature)))
	}
	return hs
}

// finishInvite adds the Contact, now that the transport layer has put
// the local address and port in Via, and the SDP offer.
func (c *Caller) finishInvite(r *sipmsg.Request) {
	via := r.Via()
	contact := &sipmsg.ContactHeader{Address: sipmsg.Uri{Scheme: "sip", User: c.from.User, Host: via.Host, Port: via.Port}}
	if c.transport == "TCP" {
		contact.Address.UriParams = sipmsg.NewParams()
		contact.Address.UriParams.Add("transport", "tcp")
	}
	r.AppendHeader(contact)
	r.AppendHeader(sipmsg.NewHeader("Content-Type", "application/sdp"))
	r.RemoveHeader("Content-Length") // SetBody adds it last
	r.SetBody(c.sdp())
}

// sdp is a minimal offer: one audio stream, inactive, since the Caller
// sends and receives no media.
func (c *Caller) sdp() []byte {
	family := "IP4"
	if c.localIP.To4() == nil {
		family = "IP6"
	}
	ip := c.localIP.String()
	return []byte("v=0\r\n" +
		"o=signedcall 1 1 IN " + family + " " + ip + "\r\n" +
		"s=signedcall\r\n" +
		"c=IN " + family + " " + ip + "\r\n" +
		"t=0 0\r\n" +
		"m=audio 9 RTP/AVP 0 8\r\n" +
		"a=rtpmap:0 PCMU/8000\r\n" +
		"a=rtpmap:8 PCMA/8000\r\n" +
		"a=inactive\r\n")
}

// newVia returns a new top Via for a request from the INVITE's local
// address, with a fresh branch.
func newVia(inv *sipmsg.Request) *sipmsg.ViaHeader {
	old := inv.Via()
	v := &sipmsg.ViaHeader{
		ProtocolName: "SIP", ProtocolVersion: "2.0", Transport: old.Transport,
		Host: old.Host, Port: old.Port, Params: sipmsg.NewParams(),
	}
	v.Params.Add("branch", sipmsg.GenerateBranchN(16))
	v.Params.Add("rport", "")
	return v
}

// inDialog builds an ACK or BYE in the dialog a 2xx to inv set up (RFC
// 3261 12.2.1.1): to the remote target (the 2xx's Contact) along the
// route set (its Record-Route, reversed).
func (c *Caller) inDialog(inv *sipmsg.Request, res *sipmsg.Response, method sipmsg.RequestMethod, seq uint32) *sipmsg.Request {
	target := inv.Recipient
	if ct := res.Contact(); ct != nil {
		target = ct.Address
	}
	var routes []sipmsg.Uri
	rr := res.GetHeaders("Record-Route")
	for i := len(rr) - 1; i >= 0; i-- {
		vals := splitAddresses(rr[i].Value())
		for j := len(vals) - 1; j >= 0; j-- {
			var u sipmsg.Uri
			var params sipmsg.HeaderParams
			if _, err := sipmsg.ParseAddressValue(vals[j], &u, &params); err == nil {
				routes = append(routes, u)
			}
		}
	}
	if len(routes) > 0 && !routes[0].UriParams.Has("lr") {
		// A strict router: it becomes the Request-URI, and the remote
		// target the last route.
		first := routes[0]
		routes = append(routes[1:], target)
		target = first
	}

	r := sipmsg.NewRequest(method, *target.Clone())
	r.SetTransport(inv.Transport())
	r.Laddr = inv.Laddr
	r.AppendHeader(newVia(inv))
	for i := range routes {
		r.AppendHeader(&sipmsg.RouteHeader{Address: routes[i]})
	}
	maxFwd := sipmsg.MaxForwardsHeader(70)
	r.AppendHeader(&maxFwd)
	r.AppendHeader(sipmsg.HeaderClone(inv.From()))
	if to := res.To(); to != nil {
		r.AppendHeader(sipmsg.HeaderClone(to))
	} else {
		r.AppendHeader(sipmsg.HeaderClone(inv.To()))
	}
	r.AppendHeader(sipmsg.HeaderClone(inv.CallID()))
	r.AppendHeader(&sipmsg.CSeqHeader{SeqNo: seq, MethodName: method})
	r.AppendHeader(sipmsg.HeaderClone(inv.Contact()))
	r.AppendHeader(sipmsg.NewHeader("User-Agent", c.cfg.UserAgent))
	r.SetBody(nil)
	return r
}

// newCancel builds the CANCEL of inv (RFC 3261 9.1): same Request-URI,
// top Via, From, To, Call-ID, CSeq number and routes.
func (c *Caller) newCancel(inv *sipmsg.Request) *sipmsg.Request {
	r := sipmsg.NewRequest(sipmsg.CANCEL, *inv.Recipient.Clone())
	r.SetTransport(inv.Transport())
	r.Laddr = inv.Laddr
	r.AppendHeader(sipmsg.HeaderClone(inv.Via()))
	for _, h := range inv.GetHeaders("Route") {
		r.AppendHeader(sipmsg.HeaderClone(h))
	}
	maxFwd := sipmsg.MaxForwardsHeader(70)
	r.AppendHeader(&maxFwd)
	r.AppendHeader(sipmsg.HeaderClone(inv.From()))
	r.AppendHeader(sipmsg.HeaderClone(inv.To()))
	r.AppendHeader(sipmsg.HeaderClone(inv.CallID()))
	r.AppendHeader(&sipmsg.CSeqHeader{SeqNo: inv.CSeq().SeqNo, MethodName: sipmsg.CANCEL})
	r.AppendHeader(sipmsg.NewHeader("User-Agent", c.cfg.UserAgent))
	r.SetBody(nil)
	return r
}

// splitAddresses splits a header value holding several comma-separated
// name-addrs, ignoring commas inside <> and quotes.
func splitAddresses(v string) []string {
	var out []string
	depth, quoted, start := 0, false, 0
	for i := 0; i < len(v); i++ {
		switch ch := v[i]; {
		case ch == '"' && (i == 0 || v[i-1] != '\\'):
			quoted = !quoted
		case quoted:
		case ch == '<':
			depth++
		case ch == '>':
			depth--
		case ch == ',' && depth == 0:
			out = append(out, strings.TrimSpace(v[start:i]))
			start = i + 1
		}
	}
	if s := strings.TrimSpace(v[start:]); s != "" {
		out = append(out, s)
	}
	return out
}
