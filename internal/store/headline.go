package store

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// headlineMax is the longest title headline makes, in characters, before
// its ellipsis: about what a case list shows on one line.
const headlineMax = 30

// headline makes a case title from a description that came without one:
// the first sentence, after the salutation a letter opens with
// (尊敬的市长：您好！), cut at a comma or with an ellipsis when it runs
// past headlineMax. It returns "" only for a description with no words.
func headline(desc string) string {
	s := strings.TrimSpace(desc)
	rest := s
	// Up to three salutation clauses: 尊敬的彭厅长： / 厅长，您好！ /
	// 尊敬C市政府，市长领导，…
	for i := 0; i < 3; i++ {
		clause, after, ok := firstClause(rest)
		if !ok || !salutation(clause) && !reportIntro(clause) {
			break
		}
		rest = after
	}
	if strings.TrimSpace(rest) == "" {
		rest = s
	}
	first := firstSentence(rest)
	if first == "" {
		return ""
	}
	rs := []rune(first)
	if len(rs) <= headlineMax {
		return first
	}
	// The last comma within the limit, when it leaves a phrase of sense.
	for i := headlineMax; i >= 10; i-- {
		if rs[i] == '，' || rs[i] == ',' || rs[i] == '、' {
			return strings.TrimSpace(string(rs[:i]))
		}
	}
	return strings.TrimSpace(string(rs[:headlineMax])) + "…"
}

// firstClause splits s at its first clause mark, returning the clause
// before it and the text after the mark(s); ok is false when there is
// none within the first 25 characters.
func firstClause(s string) (clause, after string, ok bool) {
	s = strings.TrimLeftFunc(s, unicode.IsSpace)
	n := 0
	for i, r := range s {
		if n > 25 {
			return "", "", false
		}
		if strings.ContainsRune("：:，,！!。 \t\r\n", r) {
			after = strings.TrimLeftFunc(s[i+utf8.RuneLen(r):], func(r rune) bool {
				return unicode.IsSpace(r) || strings.ContainsRune("：:，,！!。", r)
			})
			return s[:i], after, true
		}
		n++
	}
	return "", "", false
}

// salutationEnds are how the address of a letter ends: a title, an
// office, or a greeting.
var salutationEnds = []string{"领导", "书记", "市长", "县长", "区长", "镇长", "乡长", "厅长", "局长", "部长", "处长",
	"所长", "院长", "校长", "主任", "主席", "委员", "同志", "政府", "部门", "信箱", "负责人", "工作人员",
	"您好", "你好", "大家好", "们好", "领导好"}

// salutation tells whether a letter's first clause only addresses its
// reader: it opens with 尊敬 or ends with a title or a greeting.
func salutation(clause string) bool {
	c := strings.TrimSpace(clause)
	if c == "" {
		return false
	}
	if strings.HasPrefix(c, "尊敬") || strings.HasPrefix(c, "敬爱") {
		return true
	}
	for _, e := range salutationEnds {
		if strings.HasSuffix(c, e) {
			return true
		}
	}
	return false
}

// reportIntro tells whether a clause only says who is speaking, as a
// hotline operator's note opens: 来电人反映： / 市民来电称， / 居民反映：.
func reportIntro(clause string) bool {
	c := strings.TrimSpace(clause)
	if utf8.RuneCountInString(c) > 8 {
		return false
	}
	who := false
	for _, p := range []string{"来电", "市民", "群众", "居民", "网友", "业主", "村民"} {
		who = who || strings.HasPrefix(c, p)
	}
	if !who {
		return false
	}
	for _, e := range []string{"反映", "称", "表示", "来电", "诉求", "咨询"} {
		if strings.HasSuffix(c, e) {
			return true
		}
	}
	return false
}

// firstSentence is s up to its first full stop, question or exclamation
// mark, semicolon or line break, without the mark.
func firstSentence(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexFunc(s, func(r rune) bool { return strings.ContainsRune("。！？!?；;\n\r", r) }); i >= 0 {
		s = s[:i]
	}
	return strings.TrimRightFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || strings.ContainsRune("，,、：:", r)
	})
}
