package open311

import (
	"strings"
	"unicode/utf8"

	"github.com/civicgrid/civicgrid/internal/civic"
)

// maxContact bounds the discovery contact: an address, a phone, a line
// of who runs the service.
const maxContact = 200

// ParseContact checks the operator's contact as discovery shows it (an
// e-mail address, a phone number, a line of text): one line of text of
// at most 200 characters. Empty is allowed and leaves contact empty.
func ParseContact(s string) (string, error) {
	s = strings.TrimSpace(s)
	switch {
	case !utf8.ValidString(s):
		return "", civic.Errorf(civic.EInvalid, "联系方式含有无法识别的字符（不是 UTF-8 编码）", "the contact holds characters that are not UTF-8 text")
	case strings.ContainsAny(s, "\r\n") || civic.HasInvisibleControl(s):
		return "", civic.Errorf(civic.EInvalid, "联系方式应为一行文字，不含控制字符", "the contact must be one line of text without control characters")
	case utf8.RuneCountInString(s) > maxContact:
		return "", civic.Errorf(civic.EInvalid, "联系方式不超过%d个字符", "the contact is at most %d characters", maxContact)
	}
	return s, nil
}
