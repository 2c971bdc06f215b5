package main

import (
	"context"
	"encoding/csv"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/store"
)

// TestDemoReadsRealLetters trains the demo's model from its closed cases, as
// the demo does in the background, and gives it real letters to a city's
// message board: every seventh message of ../shared/data/messages/train.csv.
// Their labels are departments, not catalogue categories, so a suggestion
// counts as right when it falls in the catalogue group of the department
// (docs/TRIAGE.md). The demo's letters were written without reading that
// file. It guards what a reviewer sees pasting real messages into the
// intake forms.
func TestDemoReadsRealLetters(t *testing.T) {
	ctx := context.Background()
	f, err := os.Open(filepath.Join("..", "..", "..", "shared", "data", "messages", "train.csv"))
	if err != nil {
		t.Fatalf("the message-board data is part of the project's layout (../shared): %v", err)
	}
	rows, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	c := config{db: filepath.Join(dir, "demo.db"), keysFile: filepath.Join(dir, "civicgrid.keys")}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if err := loadDemo(ctx, c, log, time.Now()); err != nil {
		t.Fatal(err)
	}
	st, err := openStore(ctx, c, log)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	actor := func(name string) civic.Actor {
		u, err := st.GetUserByName(ctx, civic.System, name)
		if err != nil {
			t.Fatal(err)
		}
		return store.ActorOf(u, "")
	}
	if _, err := st.QueueTriageModel(ctx, actor("admin"), civic.TriageFromCases, store.TriageUpload{}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.TrainNextTriage(ctx); err != nil {
		t.Fatal(err)
	}

	groups := map[string]string{"劳动和社会保障": "12", "教育文体": "13", "卫生计生": "14", "商贸旅游": "15", "交通运输": "03",
		"环境保护": "02 09 17 24", "城乡建设": "01 04 05 06 07 08 10 18"}
	op := actor("operator")
	n, top1, top3, offered, version := 0, 0, 0, 0, 0
	for i := 1; i < len(rows); i += 7 {
		r := rows[i] // title, text, label
		sg, err := st.SuggestCategory(ctx, op, r[0], r[1])
		if err != nil || len(sg.Predictions) < 3 {
			t.Fatalf("row %d: %+v, %v", i, sg, err)
		}
		n, version = n+1, sg.ModelVersion
		if len(sg.Likely()) > 0 {
			offered++
		}
		for k, p := range sg.Predictions[:3] {
			if strings.Contains(groups[r[2]], p.Code[:2]) {
				if k == 0 {
					top1++
				}
				top3++
				break
			}
		}
	}
	share := func(k int) float64 { return float64(k) / float64(n) }
	t.Logf("model v%d on %d messages: top-1 in the right group %.3f, top-3 %.3f; the form offers a category for %.3f",
		version, n, share(top1), share(top3), share(offered))
	// Measured here: 0.653 and 0.853 (0.312 offered); before the letters of
	// session 10, 0.453 and 0.691 (0.178).
	if share(top1) < 0.55 || share(top3) < 0.75 {
		t.Errorf("the demo's model reads real letters worse than it did: top-1 %d, top-3 %d of %d", top1, top3, n)
	}
}
