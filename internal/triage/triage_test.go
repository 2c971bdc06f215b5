package triage

import (
	"bytes"
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/civicgrid/civicgrid/internal/sheet"
)

var toy = []Example{
	{Text: "小区楼道里堆满了杂物，消防通道被堵", Label: "城乡建设"},
	{Text: "楼道杂物堆放影响通行", Label: "城乡建设"},
	{Text: "小区电梯坏了一个月没人修", Label: "城乡建设"},
	{Text: "物业不作为，电梯长期故障", Label: "城乡建设"},
	{Text: "工厂夜间排放废气，气味刺鼻", Label: "环境保护"},
	{Text: "河道污水直排，水体发黑发臭", Label: "环境保护"},
	{Text: "餐馆油烟扰民，废气排放超标", Label: "环境保护"},
	{Text: "附近工地噪音污染严重", Label: "环境保护"},
	{Text: "公交车改线后站点太远", Label: "交通运输"},
	{Text: "路口红绿灯时间太短，公交拥堵", Label: "交通运输"},
	{Text: "出租车拒载绕路", Label: "交通运输"},
	{Text: "希望增加公交线路班次", Label: "交通运输"},
}

// trainToy trains the default model, with two folds for its temperature,
// on the toy examples.
func trainToy(t *testing.T) (*Model, Params) {
	t.Helper()
	p := DefaultParams
	p.Folds = 2
	m, err := Train(toy, p)
	if err != nil {
		t.Fatal(err)
	}
	return m, p
}

func TestTrainClassifyRoundTrip(t *testing.T) {
	m, p := trainToy(t)
	for _, tt := range []struct{ text, want string }{
		{"楼道里又堆了杂物", "城乡建设"},
		{"工厂排放的废气很臭", "环境保护"},
		{"公交站点离小区太远了", "交通运输"},
	} {
		got := m.Classify("", tt.text)
		if got[0].Label != tt.want {
			t.Errorf("%s → %+v, want %s", tt.text, got, tt.want)
		}
		sum := 0.0
		for _, p := range got {
			sum += p.Prob
		}
		if sum < 0.999 || sum > 1.001 || got[0].Prob <= got[1].Prob {
			t.Errorf("probabilities %+v", got)
		}
	}
	b, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	m2, err := Unmarshal(b)
	if err != nil {
		t.Fatal(err)
	}
	a, c := m.Classify("", "河水发臭"), m2.Classify("", "河水发臭")
	if a[0] != c[0] {
		t.Fatalf("round trip changed the answer: %+v vs %+v", a[0], c[0])
	}
	if _, err := Unmarshal([]byte(`{"labels":["a"]}`)); err == nil {
		t.Fatal("an incomplete model loaded")
	}
	if _, err := Train(toy[:3], p); err == nil {
		t.Fatal("trained on one label")
	}
}

func TestScore(t *testing.T) {
	r := Score([]string{"a", "a", "b", "b"}, []string{"a", "b", "b", "b"})
	// a: P=1 R=.5 F=.667; b: P=.667 R=1 F=.8 → macro .733
	if r.Accuracy != 0.75 || r.MacroF1 < 0.733 || r.MacroF1 > 0.734 {
		t.Fatalf("%+v", r)
	}
}

func TestReadCSV(t *testing.T) {
	ex, err := ReadCSV(strings.NewReader("\ufefftitle,text,label\n,\"路灯不亮，晚上很黑\",城乡建设\n标题,正文,环境保护\n"))
	if err != nil || len(ex) != 2 || ex[1].Title != "标题" || ex[0].Label != "城乡建设" {
		t.Fatalf("%+v %v", ex, err)
	}
	if _, err := ReadCSV(strings.NewReader("a,b\n1,2\n")); err == nil {
		t.Fatal("a file without text/label columns was read")
	}
}

// TestReadCSVShapes: the same examples come from a message board's
// tab-separated export under its Chinese column names, from an Excel
// workbook, and from a CSV that a spreadsheet left empty rows at the end
// of; a row with text but no label is still refused by its line.
func TestReadCSVShapes(t *testing.T) {
	want := []Example{{Title: "电梯故障", Text: "小区电梯坏了，物业说等配件", Label: "城乡建设"}, {Text: "河道污水直排", Label: "环境保护"}}
	var book bytes.Buffer
	if err := sheet.Write(&book, sheet.Table{Sheet: "留言", Header: []string{"留言编号", "留言主题", "留言详情", "一级标签"},
		Rows: [][]any{{1, "电梯故障", "小区电梯坏了，物业说等配件", "城乡建设"}, {2, "", "河道污水直排", "环境保护"}}}); err != nil {
		t.Fatal(err)
	}
	for name, in := range map[string]string{
		"tab-separated, Chinese names": "留言编号\t留言主题\t留言详情\t一级标签\n1\t电梯故障\t小区电梯坏了，物业说等配件\t城乡建设\n2\t\t河道污水直排\t环境保护\n",
		"CSV with empty rows after":    "Title,Text,Label\n电梯故障,\"小区电梯坏了，物业说等配件\",城乡建设\n,河道污水直排,环境保护\n,,\n , ,\n",
		"workbook":                     book.String(),
	} {
		got, err := ReadCSV(strings.NewReader(in))
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("%s: %+v, %v; want %+v", name, got, err, want)
		}
	}
	ex, err := ReadCSV(strings.NewReader("title,text,label\n电梯故障,电梯坏了,城乡建设\n,,环境保护\n"))
	if err != nil || len(ex) != 2 || !ex[1].Blank() || ex[0].Blank() {
		t.Errorf("a row with a label and no text: %+v, %v", ex, err)
	}
	m, err := Train(toy, DefaultParams)
	if err != nil {
		t.Fatal(err)
	}
	if p := m.Classify("", ""); len(p) == 0 || math.IsNaN(p[0].Prob) || p[0].Label == "" {
		t.Errorf("classifying nothing: %+v", p)
	}
	_, err = ReadCSV(strings.NewReader("title,text,label\n电梯故障,电梯坏了,城乡建设\n,河道污水直排,\n"))
	if err == nil || !strings.Contains(err.Error(), "line 3") {
		t.Errorf("a row without a label: %v", err)
	}
}

func BenchmarkClassify(b *testing.B) {
	m, err := Train(toy, DefaultParams)
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < b.N; i++ {
		m.Classify("", "小区楼道里堆满了杂物，消防通道被堵，物业也不管，希望有关部门尽快处理")
	}
}

// TestTermWeights: a feature seen only in the class weighs more than one
// seen as often in and out of it, under every weighting.
func TestTermWeights(t *testing.T) {
	// Feature 0 in every positive only; feature 1 in every document.
	xs := []sparse{
		{idx: []int32{0, 1}, val: []float32{0.7, 0.7}},
		{idx: []int32{0, 1}, val: []float32{0.7, 0.7}},
		{idx: []int32{1}, val: []float32{1}},
		{idx: []int32{1}, val: []float32{1}},
	}
	y := []float64{1, 1, -1, -1}
	for _, name := range []string{"nb", "rf", "df"} {
		r := termWeights(name, xs, y, 2, 0.1)
		if len(r) != 2 || !(r[0] > r[1]) {
			t.Errorf("%s: weights %v, want the class's own feature above the shared one", name, r)
		}
		if mean := (r[0] + r[1]) / 2; mean < 0.999 || mean > 1.001 {
			t.Errorf("%s: mean weight %v, want 1", name, mean)
		}
	}
	if r := termWeights("", xs, y, 2, 0.1); r != nil {
		t.Errorf("no weighting: %v", r)
	}
}

// TestFitTemperatureSeparable: held-out decisions that put every example
// on its own label by a wide margin must not make the model certain; with
// hard targets the fit runs to the top of its range and a probability of
// 1 would pass any auto-routing threshold.
func TestFitTemperatureSeparable(t *testing.T) {
	var dec [][]float64
	var y []int
	for i := 0; i < 12; i++ {
		row := []float64{-1, -1, -1}
		row[i%3] = 1
		dec = append(dec, row)
		y = append(y, i%3)
	}
	temp := fitTemperature(dec, y)
	top := softmax(dec[0], temp)[0]
	if temp >= 49 || top > 0.97 || top < 0.8 {
		t.Fatalf("temperature %.2f gives %.4f to a separated example; want between 0.8 and 0.97", temp, top)
	}
	// Mixed evidence still fits a temperature that tells right from wrong.
	dec = append(dec, []float64{1, -1, -1}, []float64{-1, 1, -1})
	y = append(y, 1, 2)
	if mixed := fitTemperature(dec, y); mixed >= temp {
		t.Fatalf("two wrong examples should lower the temperature: %.2f, was %.2f", mixed, temp)
	}
}

// TestHeldOutTemperature: a temperature fitted on a held-out split is close
// to the one Train fits on its inner folds, so a caller that already holds
// a split (the store's evaluation) need not train three more models.
func TestHeldOutTemperature(t *testing.T) {
	var train, test []Example
	for i, e := range toy {
		if i%4 == 3 {
			test = append(test, e)
		} else {
			train = append(train, e)
		}
	}
	q := DefaultParams
	q.Folds = 0
	m, err := Train(train, q)
	if err != nil {
		t.Fatal(err)
	}
	held := HeldOutTemperature(m, test)
	full, err := Train(toy, DefaultParams)
	if err != nil {
		t.Fatal(err)
	}
	if held <= 0.1 || held >= 49 || held < full.Temperature/4 || held > full.Temperature*4 {
		t.Fatalf("held-out temperature %.2f, inner folds' %.2f", held, full.Temperature)
	}
	if got := HeldOutTemperature(m, []Example{{Text: "无人知晓的类别", Label: "没有这个标签"}}); got != 1 {
		t.Fatalf("no known label: %.2f, want 1", got)
	}
}

// TestModelJSON checks that a model's vectors go through JSON as base64
// unchanged, bit for bit, and that a model stored as arrays of numbers,
// as models were before, still reads with the same answers.
func TestModelJSON(t *testing.T) {
	m, _ := trainToy(t)
	b, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), `"weights":[[`) || strings.Contains(string(b), `"idf":[`) {
		t.Fatalf("vectors written as numbers: %.200s", b)
	}
	m2, err := Unmarshal(b)
	if err != nil {
		t.Fatal(err)
	}
	same := func(a, b floats) bool {
		if len(a) != len(b) {
			return false
		}
		for i := range a {
			if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
				return false
			}
		}
		return true
	}
	if !same(m.Vocab.IDF, m2.Vocab.IDF) {
		t.Fatal("IDF changed on the way through JSON")
	}
	for c := range m.Weights {
		if !same(m.Weights[c], m2.Weights[c]) {
			t.Fatalf("weights of %s changed on the way through JSON", m.Labels[c])
		}
	}
	// The same model written the old way: every vector an array.
	var old map[string]any
	if err := json.Unmarshal(b, &old); err != nil {
		t.Fatal(err)
	}
	ws := make([][]float32, len(m.Weights))
	for c, w := range m.Weights {
		ws[c] = w
	}
	old["weights"] = ws
	old["vocab"].(map[string]any)["idf"] = []float32(m.Vocab.IDF)
	ob, err := json.Marshal(old)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(ob), `"weights":[[`) {
		t.Fatalf("the old form was not written as numbers: %.200s", ob)
	}
	m3, err := Unmarshal(ob)
	if err != nil {
		t.Fatal(err)
	}
	for _, text := range []string{"楼道里又堆了杂物", "工厂排放的废气很臭", "公交站点离小区太远了"} {
		if a, c := m.Classify("", text), m3.Classify("", text); a[0] != c[0] || a[1] != c[1] {
			t.Errorf("%s: %+v from the new form, %+v from the old", text, a[:2], c[:2])
		}
	}
	for _, bad := range []string{`"%%%"`, `"AAA="`, `{}`} {
		var f floats
		if err := json.Unmarshal([]byte(bad), &f); err == nil {
			t.Errorf("%s read as a vector: %v", bad, f)
		}
	}
}

// TestReadCSVEncodings reads one file as UTF-8 with a byte-order mark and
// as GB18030, which Excel on a Chinese Windows writes, to the same
// examples, and refuses bytes that are neither.
func TestReadCSVEncodings(t *testing.T) {
	const file = "title,text,label\r\n电梯故障,\"小区电梯坏了，物业说等配件\",城乡建设\r\n,河道污水直排,环境保护\r\n"
	want, err := ReadCSV(strings.NewReader(file))
	if err != nil || len(want) != 2 || want[0].Text != "小区电梯坏了，物业说等配件" || want[1].Label != "环境保护" {
		t.Fatalf("UTF-8: %+v, %v", want, err)
	}
	gbk, err := simplifiedchinese.GB18030.NewEncoder().String(file)
	if err != nil {
		t.Fatal(err)
	}
	for name, in := range map[string]string{"BOM": "\ufeff" + file, "GB18030": gbk} {
		got, err := ReadCSV(strings.NewReader(in))
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("%s: %+v, %v; want %+v", name, got, err, want)
		}
	}
	if _, err := ReadCSV(strings.NewReader("title,text,label\n,\xff\xfe\x80,x\n")); err == nil || !strings.Contains(err.Error(), "UTF-8") {
		t.Errorf("neither UTF-8 nor GB18030: %v", err)
	}
}

// TestDocumentHead: a title is read again, TitleSpace times, as features
// of its own namespace; a message without one has its first LeadSpace
// characters read so instead, once; a model whose parameters name neither
// (one saved before they were) reads a message as it always did.
func TestDocumentHead(t *testing.T) {
	count := func(d document) map[string]int {
		n := map[string]int{}
		d.features(DefaultParams.MaxN, func(space string, g []byte) { n[space+string(g)]++ })
		return n
	}
	p := DefaultParams
	p.TitleSpace, p.LeadSpace = 2, 4
	titled := count(p.document("路灯不亮", "小区门口的路灯坏了三天"))
	if titled["T:路灯"] != 2 || titled["路灯"] != 3 || titled["L:小区"] != 0 {
		t.Errorf("titled: T:路灯 %d (want 2), 路灯 %d (want 3), L:小区 %d (want 0)", titled["T:路灯"], titled["路灯"], titled["L:小区"])
	}
	bare := count(p.document("", "小区门口的路灯坏了三天"))
	if bare["L:小区门"] != 1 || bare["L:门口"] != 1 || bare["L:口的"] != 0 || bare["T:小区"] != 0 {
		t.Errorf("without a title: L:小区门 %d, L:门口 %d (want 1 each), L:口的 %d, T:小区 %d (want 0 each)",
			bare["L:小区门"], bare["L:门口"], bare["L:口的"], bare["T:小区"])
	}
	if got := leading("ab路灯", 3); got != "ab路" {
		t.Errorf("leading 3 of ab路灯: %q", got)
	}
	var before Params
	if err := json.Unmarshal([]byte(`{"max_n":3,"min_df":2,"c":1}`), &before); err != nil {
		t.Fatal(err)
	}
	for g := range count(before.document("路灯不亮", "路灯坏了")) {
		if strings.Contains(g, ":") {
			t.Errorf("a model saved before the namespaces reads %q", g)
		}
	}
}
