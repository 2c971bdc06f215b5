package open311

import (
	"net/url"
	"strconv"
	"strings"
	"unicode"
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

// ParseOrigins reads the origins whose browser apps may call the endpoint
// (CORS), separated by commas or spaces: each a scheme and host, with a
// port if not the scheme's own (https://app.example.org,
// http://10.0.0.5:8081), written as a browser sends it in Origin — lower
// case, without the default port or a path. A trailing slash is dropped.
// "*" and "null" are refused: the endpoint holds residents' complaints, so
// every origin is named (and the null origin is any sandboxed page or
// local file). Empty allows none.
func ParseOrigins(s string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	for _, o := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || unicode.IsSpace(r) }) {
		norm, err := parseOrigin(o)
		if err != nil {
			return nil, err
		}
		if !seen[norm] {
			seen[norm] = true
			out = append(out, norm)
		}
	}
	return out, nil
}

func parseOrigin(o string) (string, error) {
	if o == "*" || strings.EqualFold(o, "null") {
		return "", civic.Errorf(civic.EInvalid, "不能用 %s：请逐个列出允许的来源，如 https://app.example.org", "%s is not allowed: name each origin, such as https://app.example.org", o)
	}
	bad := civic.Errorf(civic.EInvalid, "“%s”不是来源：应为协议加主机名（必要时加端口），如 https://app.example.org，不含路径",
		"%q is not an origin: give a scheme and host (and a port if needed), such as https://app.example.org, without a path", civic.Clip(o, 100))
	u, err := url.Parse(strings.TrimSuffix(o, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.Path != "" ||
		u.RawQuery != "" || u.Fragment != "" || u.ForceQuery || strings.Contains(o, "#") || strings.Contains(u.Host, "*") {
		return "", bad
	}
	host, port := strings.ToLower(u.Hostname()), u.Port()
	if port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return "", bad
		}
	}
	if (u.Scheme == "http" && port == "80") || (u.Scheme == "https" && port == "443") {
		port = ""
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port != "" {
		host += ":" + port
	}
	return u.Scheme + "://" + host, nil
}
