package geo

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// foldGroups lists, for each ASCII letter, the lower-case Latin letters
// with diacritics (Latin-1 Supplement, Latin Extended-A and -B, Latin
// Extended Additional, which holds the Vietnamese letters) whose
// canonical decomposition is that letter plus combining marks.
var foldGroups = [...]struct {
	to   byte
	from string
}{
	{'a', "àáâãäåāăąǎǟǡǻȁȃȧḁạảấầẩẫậắằẳẵặ"},
	{'b', "ḃḅḇ"},
	{'c', "çćĉċčḉ"},
	{'d', "ďḋḍḏḑḓ"},
	{'e', "èéêëēĕėęěȅȇȩḕḗḙḛḝẹẻẽếềểễệ"},
	{'f', "ḟ"},
	{'g', "ĝğġģǧǵḡ"},
	{'h', "ĥȟḣḥḧḩḫẖ"},
	{'i', "ìíîïĩīĭįǐȉȋḭḯỉị"},
	{'j', "ĵǰ"},
	{'k', "ķǩḱḳḵ"},
	{'l', "ĺļľḷḹḻḽ"},
	{'m', "ḿṁṃ"},
	{'n', "ñńņňǹṅṇṉṋ"},
	{'o', "òóôõöōŏőơǒǫǭȍȏȫȭȯȱṍṏṑṓọỏốồổỗộớờởỡợ"},
	{'p', "ṕṗ"},
	{'r', "ŕŗřȑȓṙṛṝṟ"},
	{'s', "śŝşšșṡṣṥṧṩ"},
	{'t', "ţťțṫṭṯṱẗ"},
	{'u', "ùúûüũūŭůűųưǔǖǘǚǜȕȗṳṵṷṹṻụủứừửữự"},
	{'v', "ṽṿ"},
	{'w', "ŵẁẃẅẇẉẘ"},
	{'x', "ẋẍ"},
	{'y', "ýÿŷȳẏẙỳỵỷỹ"},
	{'z', "źżžẑẓẕ"},
}

// foldMap maps a lower-case rune to its ASCII spelling.
var foldMap = buildFoldMap()

func buildFoldMap() map[rune]string {
	m := map[rune]string{
		// Letters without a decomposition, spelt as is usual in
		// English text.
		'ß': "ss", 'æ': "ae", 'œ': "oe", 'ø': "o", 'đ': "d", 'ð': "d",
		'þ': "th", 'ł': "l", 'ı': "i", 'ħ': "h", 'ŧ': "t", 'ŀ': "l",
		'ǿ': "o", 'ǽ': "ae",
		// Apostrophes, quotation marks and dashes.
		'\u2018': "'", '\u2019': "'", '\u02bc': "'", '\u02bb': "'",
		'\u00b4': "'",
		'\u2010': "-", '\u2011': "-", '\u2012': "-", '\u2013': "-",
		'\u2014': "-",
	}
	for _, g := range foldGroups {
		for _, r := range g.from {
			m[r] = string(g.to)
		}
	}
	return m
}

// fold returns the key under which a name is matched: lower case, with
// the Latin letters above spelt in ASCII, combining marks dropped (so a
// decomposed "é" folds like a composed one), apostrophes and dashes
// unified, spaces trimmed and runs of white space made one space.
// Letters of other scripts are kept, lower-cased.
func fold(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false // a space is pending
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			i++
			switch {
			case c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
				c == '\v' || c == '\f':
				space = b.Len() > 0
				continue
			case 'A' <= c && c <= 'Z':
				c += 'a' - 'A'
			case c == '`':
				c = '\''
			}
			if space {
				b.WriteByte(' ')
				space = false
			}
			b.WriteByte(c)
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		i += n
		if unicode.IsSpace(r) {
			space = b.Len() > 0
			continue
		}
		if unicode.Is(unicode.Mn, r) {
			continue
		}
		r = unicode.ToLower(r)
		if space {
			b.WriteByte(' ')
			space = false
		}
		if t, ok := foldMap[r]; ok {
			b.WriteString(t)
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}
