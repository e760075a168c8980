package sip

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
)

// redact masks every run of seven or more digits that stands on its own
// (not next to a letter, a digit or '-', so not inside a UUID or a hex
// token), keeping its first and last two digits, as signedcall.MaskPhone
// does: "INVITE sip:12125550123@" becomes "INVITE sip:12*******23@".
func redact(s string) string {
	var b strings.Builder
	last := 0
	for i := 0; i < len(s); {
		if !isDigit(s[i]) {
			i++
			continue
		}
		j := i
		for j < len(s) && isDigit(s[j]) {
			j++
		}
		if j-i >= 7 && (i == 0 || !isWordish(s[i-1])) && (j == len(s) || !isWordish(s[j])) {
			if b.Len() == 0 {
				b.Grow(len(s))
			}
			b.WriteString(s[last : i+2])
			b.WriteString(strings.Repeat("*", j-i-4))
			b.WriteString(s[j-2 : j])
			last = j
		}
		i = j
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isWordish(c byte) bool {
	return c == '-' || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z')
}

// redactedError shows its cause's message redacted; errors.Is and
// errors.As still see the cause.
type redactedError struct{ err error }

func (e redactedError) Error() string { return redact(e.err.Error()) }
func (e redactedError) Unwrap() error { return e.err }

// redactErr wraps err so its message is redacted; nil stays nil.
func redactErr(err error) error {
	if err == nil {
		return nil
	}
	return redactedError{err}
}

// redactHandler redacts the message and every attribute of the records
// it passes on.
type redactHandler struct{ h slog.Handler }

func (r redactHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return r.h.Enabled(ctx, l)
}

func (r redactHandler) Handle(ctx context.Context, rec slog.Record) error {
	out := slog.NewRecord(rec.Time, rec.Level, redact(rec.Message), rec.PC)
	rec.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(redactAttr(a))
		return true
	})
	return r.h.Handle(ctx, out)
}

func (r redactHandler) WithAttrs(as []slog.Attr) slog.Handler {
	red := make([]slog.Attr, len(as))
	for i, a := range as {
		red[i] = redactAttr(a)
	}
	return redactHandler{r.h.WithAttrs(red)}
}

func (r redactHandler) WithGroup(name string) slog.Handler {
	return redactHandler{r.h.WithGroup(name)}
}

func redactAttr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, redact(v.String()))
	case slog.KindInt64, slog.KindUint64:
		if s := v.String(); redact(s) != s {
			return slog.String(a.Key, redact(s))
		}
	case slog.KindAny:
		return slog.String(a.Key, redact(fmt.Sprint(v.Any())))
	case slog.KindGroup:
		g := v.Group()
		red := make([]slog.Attr, len(g))
		for i, x := range g {
			red[i] = redactAttr(x)
		}
		return slog.Attr{Key: a.Key, Value: slog.GroupValue(red...)}
	}
	return slog.Attr{Key: a.Key, Value: v}
}
