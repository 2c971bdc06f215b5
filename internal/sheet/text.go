package sheet

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/transform"
)

// Encoding names what a text file was written in.
type Encoding string

// The encodings Text reads.
const (
	UTF8    Encoding = "UTF-8"
	GB18030 Encoding = "GB18030"
)

// ErrEncoding is the answer for a file that is neither UTF-8 nor GB18030.
var ErrEncoding = errors.New("the file is neither UTF-8 nor GB18030 (GBK) text")

// sniff is how much of a file Text looks at to tell its encoding.
const sniff = 64 << 10

// Text returns the text of a CSV file as UTF-8, whichever of the two
// encodings a street office's files come in: UTF-8, with its byte-order
// mark dropped, or GB18030 (GBK), which is what Excel on a Chinese Windows
// writes when told to save "CSV". It decides from the first 64 KiB: text
// that is valid UTF-8 there is UTF-8 (ASCII is both), else text that reads
// as GB18030 without a replacement character is GB18030, else ErrEncoding.
// A bad byte further on reaches the caller as invalid UTF-8 or as U+FFFD;
// Readable tells a cell that holds either.
func Text(r io.Reader) (io.Reader, Encoding, error) {
	br := bufio.NewReaderSize(r, sniff)
	head, err := br.Peek(sniff)
	if err != nil && err != io.EOF {
		return nil, "", fmt.Errorf("read: %w", err)
	}
	atEOF := err == io.EOF
	if bytes.HasPrefix(head, []byte("\xef\xbb\xbf")) {
		if _, err := br.Discard(3); err != nil {
			return nil, "", fmt.Errorf("read: %w", err)
		}
		return br, UTF8, nil
	}
	if utf8.Valid(head) || (!atEOF && utf8.Valid(dropCut(head))) {
		return br, UTF8, nil
	}
	d, err := simplifiedchinese.GB18030.NewDecoder().Bytes(head)
	if err != nil {
		return nil, "", ErrEncoding
	}
	if !atEOF {
		// The last character may be cut where the sniff ends.
		if r, n := utf8.DecodeLastRune(d); r == utf8.RuneError {
			d = d[:len(d)-n]
		}
	}
	if bytes.ContainsRune(d, utf8.RuneError) {
		return nil, "", ErrEncoding
	}
	return transform.NewReader(br, simplifiedchinese.GB18030.NewDecoder()), GB18030, nil
}

// dropCut drops a UTF-8 character cut short at the end of b.
func dropCut(b []byte) []byte {
	for i := len(b) - 1; i >= 0 && i >= len(b)-utf8.UTFMax; i-- {
		if utf8.RuneStart(b[i]) {
			if !utf8.FullRune(b[i:]) {
				return b[:i]
			}
			break
		}
	}
	return b
}

// Readable reports a cell that is text: valid UTF-8 without the
// replacement character a decoder puts for bytes it cannot read.
func Readable(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsRune(s, utf8.RuneError)
}

// Line returns one line of text as UTF-8: as it is when it is UTF-8, else
// decoded from GB18030 when it reads as that, else ErrEncoding. It is for
// input read line by line as it comes (a pipe into a command), where Text
// would wait for 64 KiB before deciding.
func Line(b []byte) (string, error) {
	if utf8.Valid(b) {
		return string(b), nil
	}
	d, err := simplifiedchinese.GB18030.NewDecoder().Bytes(b)
	if err != nil || bytes.ContainsRune(d, utf8.RuneError) {
		return "", ErrEncoding
	}
	return string(d), nil
}
