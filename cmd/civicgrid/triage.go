package main

import (
	"bufio"
	"context"
	"fmt"
	"math"
	"os"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/civicgrid/civicgrid/internal/sheet"
	"github.com/civicgrid/civicgrid/internal/triage"
)

// cmdTriage trains, runs and evaluates the text classifier offline.
//
//	civicgrid triage train --data FILE.csv --out MODEL
//	civicgrid triage classify --model MODEL        (lines of text on stdin)
//	civicgrid triage eval --train TRAIN.csv --test TEST.csv
func cmdTriage(ctx context.Context, args []string, env Env) error {
	if len(args) == 0 {
		return unknownSub(env, "triage", args)
	}
	var c config
	name := "triage " + args[0]
	fs := flagSet(name, env, &c)
	switch args[0] {
	case "train":
		data := fs.String("data", "", env.text("训练用 CSV，列为 title,text,label", "training CSV with columns title,text,label"))
		out := fs.String("out", "", env.text("模型写入的文件", "file to write the model to"))
		extra := fs.String("extra", "", env.text("可选：分类体系 CSV（level1,level2,level3），其中的分类名作为额外样本", "optional category scheme CSV (level1,level2,level3) whose names become extra examples"))
		if err := parse(fs, args[1:]); err != nil {
			return err
		}
		if *data == "" || *out == "" {
			return usageOf(env, name)
		}
		ex, err := readExamples(env, *data, *extra)
		if err != nil {
			return err
		}
		start := time.Now()
		m, err := triage.Train(ex, triage.DefaultParams)
		if err != nil {
			return err
		}
		b, err := m.Marshal()
		if err != nil {
			return err
		}
		if err := os.WriteFile(*out, b, 0o644); err != nil {
			return failed(err, "写入模型", "write model")
		}
		env.printf("用%d个样本训练完成：%d个分类，%d个特征，用时%.1f秒 → %s\n", "trained on %d examples, %d labels, %d features in %.1fs → %s\n",
			len(ex), len(m.Labels), len(m.Vocab.IDF), time.Since(start).Seconds(), *out)
		return nil
	case "classify":
		model := fs.String("model", "", env.text("triage train 训练出的模型文件", "model file from triage train"))
		if err := parse(fs, args[1:]); err != nil {
			return err
		}
		m, err := loadModel(env, *model)
		if err != nil {
			return err
		}
		// One answer line per input line, so that answers line up with
		// what was read: an empty line for an empty one, and a line
		// starting "error" for one that is not text.
		sc := bufio.NewScanner(env.Stdin)
		sc.Buffer(make([]byte, 64<<10), 64<<20)
		for sc.Scan() {
			line, err := sheet.Line(sc.Bytes())
			if err != nil {
				p := sheet.CSVProblem(err)
				fmt.Fprintf(env.Stdout, "error\t%s\n", env.text(p.ZH, p.EN))
				continue
			}
			if line = strings.TrimSpace(line); line == "" {
				fmt.Fprintln(env.Stdout)
				continue
			}
			p := m.Classify("", line)
			fmt.Fprintf(env.Stdout, "%s\t%.4f", p[0].Label, p[0].Prob)
			for _, alt := range p[1:min(3, len(p))] {
				fmt.Fprintf(env.Stdout, "\t%s %.4f", alt.Label, alt.Prob)
			}
			fmt.Fprintln(env.Stdout)
		}
		return sc.Err()
	case "cv":
		data := fs.String("data", "", env.text("已标注的 CSV（title,text,label）", "labelled CSV (title,text,label)"))
		k := fs.Int("folds", 5, env.text("分层折数（至少2）", "number of stratified folds (at least 2)"))
		parts := fs.Int("partitions", 1, env.text("重复交叉验证的次数，每次用不同的随机分折（1–100），报告平均值", "how many times to repeat the cross-validation, each on another random split into folds (1–100); the mean is reported"))
		extra := fs.String("extra", "", env.text("可选：分类体系 CSV，其中的分类名加入每一折的训练", "optional category scheme CSV whose names join every training fold"))
		if err := parse(fs, args[1:]); err != nil {
			return err
		}
		if *data == "" || *k < 2 {
			return usageOf(env, name)
		}
		if *parts < 1 || *parts > 100 {
			return env.usagef("--partitions 应在 1 到 100 之间", "--partitions must be from 1 to 100")
		}
		ex, err := readExamples(env, *data, "")
		if err != nil {
			return err
		}
		more, err := readExtra(*extra, ex)
		if err != nil {
			return err
		}
		start := time.Now()
		env.printf("%d折交叉验证，共%d个样本（%+v）\n", "%d-fold cross-validation on %d examples (%+v)\n", *k, len(ex), triage.DefaultParams)
		// Partition i is the folds (and the SVMs' random order) of
		// seed i, so partition 1 is what a single run reports.
		var f1, acc []float64
		for i := 1; i <= *parts; i++ {
			p := triage.DefaultParams
			p.Seed = uint64(i)
			r, err := triage.CrossValidate(ex, p, *k, more)
			if err != nil {
				return err
			}
			if *parts == 1 {
				printScores(env, r)
			} else {
				env.printf("第%d次分折：macroF1=%.4f accuracy=%.4f\n", "partition %d: macroF1=%.4f accuracy=%.4f\n", i, r.MacroF1, r.Accuracy)
			}
			f1, acc = append(f1, r.MacroF1), append(acc, r.Accuracy)
		}
		if *parts > 1 {
			env.printf("%d次分折的平均值，macroF1 的标准差为 %.4f\n", "mean of %d partitions; standard deviation of macroF1 %.4f\n", *parts, stddev(f1))
		}
		fmt.Fprintf(env.Stdout, "macroF1=%.4f accuracy=%.4f took_s=%.1f\n", mean(f1), mean(acc), time.Since(start).Seconds())
		return nil
	case "eval":
		train := fs.String("train", "", env.text("训练用 CSV（title,text,label）", "training CSV (title,text,label)"))
		test := fs.String("test", "", env.text("测试用 CSV（title,text,label）", "test CSV (title,text,label)"))
		extra := fs.String("extra", "", env.text("可选：分类体系 CSV，其中的分类名作为额外的训练样本", "optional category scheme CSV for extra training examples"))
		if err := parse(fs, args[1:]); err != nil {
			return err
		}
		if *train == "" || *test == "" {
			return usageOf(env, name)
		}
		tr, err := readExamples(env, *train, *extra)
		if err != nil {
			return err
		}
		te, err := readExamples(env, *test, "")
		if err != nil {
			return err
		}
		if len(te) == 0 {
			return fmt.Errorf("%s: %w", *test, sheet.Problemf("测试文件中没有样本（只有列名行？）", "the test file holds no examples (only the header row?)"))
		}
		warnUnseen(env, tr, te)
		start := time.Now()
		m, err := triage.Train(tr, triage.DefaultParams)
		if err != nil {
			return err
		}
		trainS := time.Since(start).Seconds()
		truth, pred := make([]string, len(te)), make([]string, len(te))
		took := make([]time.Duration, len(te))
		for i, e := range te {
			t0 := time.Now()
			pred[i] = m.Classify(e.Title, e.Text)[0].Label
			took[i] = time.Since(t0)
			truth[i] = e.Label
		}
		sort.Slice(took, func(a, b int) bool { return took[a] < took[b] })
		r := triage.Score(truth, pred)
		printScores(env, r)
		us := 0.0
		if len(took) > 0 {
			us = float64(took[len(took)/2].Microseconds())
		}
		fmt.Fprintf(env.Stdout, "macroF1=%.4f accuracy=%.4f train_s=%.1f classify_us=%.0f\n", r.MacroF1, r.Accuracy, trainS, us)
		return nil
	}
	return unknownSub(env, "triage", args)
}

func mean(xs []float64) float64 {
	s := 0.0
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

// stddev is the sample standard deviation of xs (0 for fewer than two).
func stddev(xs []float64) float64 {
	if len(xs) < 2 {
		return 0
	}
	m, s := mean(xs), 0.0
	for _, x := range xs {
		s += (x - m) * (x - m)
	}
	return math.Sqrt(s / float64(len(xs)-1))
}

// printScores writes per-label precision, recall and F1 as a table. Its
// column names are the usual English terms in both languages: the table
// is read beside papers and other tools' reports.
func printScores(env Env, r triage.Report) {
	tw := tabwriter.NewWriter(env.Stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "label\tprecision\trecall\tF1\tsupport")
	for _, c := range r.Classes {
		fmt.Fprintf(tw, "%s\t%.4f\t%.4f\t%.4f\t%d\n", c.Label, c.Precision, c.Recall, c.F1, c.Support)
	}
	tw.Flush()
}

// warnUnseen says on stderr which test labels the training file never
// has: the model cannot predict them, so their rows count as errors.
func warnUnseen(env Env, tr, te []triage.Example) {
	known := map[string]bool{}
	for _, e := range tr {
		known[e.Label] = true
	}
	unseen := map[string]int{}
	for _, e := range te {
		if !known[e.Label] {
			unseen[e.Label]++
		}
	}
	labels := make([]string, 0, len(unseen))
	for l := range unseen {
		labels = append(labels, l)
	}
	sort.Strings(labels)
	for _, l := range labels {
		env.warnf("注意：标签“%s”（测试文件中%d行）不在训练文件中，这些行都计为错误\n",
			"warning: label %q (%d test rows) is not in the training file; those rows count as errors\n", l, unseen[l])
	}
}

// readExamples reads a file of examples (triage.ReadCSV) and, with extra,
// a category scheme's names as more of them. Rows without title or text
// stay — a message whose text was lost still counts in an evaluation — and
// are reported on stderr.
func readExamples(env Env, path, extra string) ([]triage.Example, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, failed(err, "打开样本文件", "open the examples")
	}
	defer f.Close()
	ex, err := triage.ReadCSV(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	blank, first := 0, 0
	for i, e := range ex {
		if e.Blank() {
			if blank == 0 {
				first = i + 2
			}
			blank++
		}
	}
	if blank > 0 {
		env.warnf("注意：%s 中有%d行标题和正文都为空（第一处在第%d行），仍按其分类计入\n",
			"warning: %s: %d rows have neither title nor text (the first on line %d); they are kept, with their labels\n", path, blank, first)
	}
	more, err := readExtra(extra, ex)
	if err != nil {
		return nil, err
	}
	return append(ex, more...), nil
}

// readExtra reads a category scheme's names (triage.ReadTaxonomy) as
// examples of the labels ex has; none without a file.
func readExtra(path string, ex []triage.Example) ([]triage.Example, error) {
	if path == "" {
		return nil, nil
	}
	g, err := os.Open(path)
	if err != nil {
		return nil, failed(err, "打开分类体系文件", "open the category scheme")
	}
	defer g.Close()
	more, err := triage.ReadTaxonomy(g)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return triage.OnlyLabels(more, ex), nil
}

func loadModel(env Env, path string) (*triage.Model, error) {
	if path == "" {
		return nil, env.usagef("请用 --model 指定模型文件", "give the model file with --model")
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, failed(err, "读取模型", "read model")
	}
	return triage.Unmarshal(b)
}
