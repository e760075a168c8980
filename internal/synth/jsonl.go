package synth

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"

	"github.com/signedcall/signedcall"
)

// WriteJSONL writes ps to w as JSON Lines: one encoding/json object of
// [signedcall.Profile] per line, in slice order.
func WriteJSONL(w io.Writer, ps []signedcall.Profile) error {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	for i := range ps {
		if err := enc.Encode(&ps[i]); err != nil {
			return fmt.Errorf("synth: profile %q: %w", ps[i].ID, err)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("synth: %w", err)
	}
	return nil
}
