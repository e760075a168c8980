package sip_test

import (
	"context"
	"errors"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/signedcall/signedcall"
	"github.com/signedcall/signedcall/caller/sip"
)

func TestNewValidatesEveryField(t *testing.T) {
	for _, tc := range []struct {
		name   string
		cfg    sip.Config
		fields []string
	}{
		{"empty", sip.Config{}, []string{"config.proxy", "config.from"}},
		{"bad proxy port", sip.Config{Proxy: "127.0.0.1:99999", From: "sip:a@b"}, []string{"config.proxy"}},
		{"bare IPv6 proxy", sip.Config{Proxy: "2001:db8::1", From: "sip:a@b"}, []string{"config.proxy"}},
		{"from not a URI", sip.Config{Proxy: "127.0.0.1", From: "brand"}, []string{"config.from"}},
		{"sips from", sip.Config{Proxy: "127.0.0.1", From: "sips:a@b"}, []string{"config.from"}},
		{"transport", sip.Config{Proxy: "127.0.0.1", From: "sip:a@b", Transport: "tls"}, []string{"config.transport"}},
		{"ring timeout", sip.Config{Proxy: "127.0.0.1", From: "sip:a@b", RingTimeout: -1}, []string{"config.ring_timeout"}},
		{"user agent", sip.Config{Proxy: "127.0.0.1", From: "sip:a@b", UserAgent: "x\r\nY: z"}, []string{"config.user_agent"}},
		{"display name", sip.Config{Proxy: "127.0.0.1", From: "sip:a@b", DisplayName: "a\nb"}, []string{"config.display_name"}},
		{"local ip", sip.Config{Proxy: "127.0.0.1", From: "sip:a@b", LocalIP: "localhost"}, []string{"config.local_ip"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := sip.New(context.Background(), tc.cfg)
			if err == nil {
				c.Close()
				t.Fatal("New accepted the config")
			}
			if !errors.Is(err, signedcall.ErrInvalid) {
				t.Errorf("error %v does not match ErrInvalid", err)
			}
			for _, f := range tc.fields {
				if !strings.Contains(err.Error(), "sip: "+f+": ") {
					t.Errorf("error %q does not name %s", err, f)
				}
			}
			if n := strings.Count(err.Error(), "sip: config."); n != len(tc.fields) {
				t.Errorf("error %q names %d fields, want %d", err, n, len(tc.fields))
			}
		})
	}
}

func TestNewFindsTheLocalAddress(t *testing.T) {
	c, err := sip.New(context.Background(), sip.Config{Proxy: "127.0.0.1:5060", From: "sip:brand@brand.example"})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

// unusedProxy is an address on which nothing answers; calls to it that
// fail before sending return at once.
func unusedProxy(t *testing.T) string {
	l, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(l.LocalAddr().(*net.UDPAddr).Port))
}

func TestCallsThatCannotBeSentAreNotDialled(t *testing.T) {
	c, err := sip.New(context.Background(), sip.Config{Proxy: unusedProxy(t), From: "sip:brand@brand.example", LocalIP: "127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	long := request(1)
	long.CallContext = strings.Repeat("é", 800)
	for _, tc := range []struct {
		name string
		ctx  context.Context
		req  signedcall.CallRequest
		want string
	}{
		{"not E.164", context.Background(), signedcall.CallRequest{Phone: "2125550123"}, "not E.164"},
		{"letters", context.Background(), signedcall.CallRequest{Phone: "+1212555O123"}, "not E.164"},
		{"too long", context.Background(), signedcall.CallRequest{Phone: "+1234567890123456"}, "not E.164"},
		{"context ended", cancelled, request(1), "context canceled"},
		{"too large for UDP", context.Background(), long, "over UDP's size limit"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o, err := c.Call(tc.ctx, tc.req)
			if !errors.Is(err, signedcall.ErrNotDialled) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Call = %q, %v; want an error wrapping ErrNotDialled saying %q", o, err, tc.want)
			}
			if !strings.HasPrefix(err.Error(), "sip: ") {
				t.Errorf("error %q lacks the sip: prefix", err)
			}
		})
	}
}

func TestHeaderEncodingIsOneLineAndExact(t *testing.T) {
	for _, s := range []string{
		"", "About your order", "line one\r\nX-Evil: 1\r\n\r\nbody", "100% sure; ok, fine?",
		"naïve café ✓ 日本語", " padded ", "a/b\\c\"d'e<f>g", "\x00\x7f\t",
	} {
		enc := sip.EncodeHeader(s)
		for i := 0; i < len(enc); i++ {
			if enc[i] <= ' ' || enc[i] >= 0x7f {
				t.Errorf("EncodeHeader(%q) = %q has byte %#x", s, enc, enc[i])
			}
		}
		if dec, err := sip.DecodeHeader(enc); err != nil || dec != s {
			t.Errorf("DecodeHeader(EncodeHeader(%q)) = %q, %v", s, dec, err)
		}
	}
}

func TestUnresolvableProxyIsNotDialled(t *testing.T) {
	c, err := sip.New(context.Background(), sip.Config{
		Proxy: "no-such-proxy.invalid:5060", From: "sip:brand@brand.example", LocalIP: "127.0.0.1",
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if o, err := c.Call(ctx, request(1)); !errors.Is(err, signedcall.ErrNotDialled) {
		t.Fatalf("Call = %q, %v; want an error wrapping ErrNotDialled", o, err)
	}
}
