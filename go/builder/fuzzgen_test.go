package builder

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/usegolib/usegolib/go/internal/gotool"
)

// TestGeneratedCodecsFuzz fuzzes the generated codecs of Levels 2 and 3 (records, maps,
// arrays, handles, time, any, pointers, named types) through the generated bridge of
// tests/fixtures/go/level3. It builds the bridge module into a work directory, adds
// testdata/fuzzbridge/zz_fuzz_test.go (FuzzGeneratedBridge) and the committed corpus
// testdata/fuzz/FuzzGeneratedBridge, and runs go test there:
//
//   - by default, the seeds (a valid request for every entry of the schema) and every committed
//     input, as regression tests;
//   - with USEGOLIB_FUZZTIME set (for example 60s; make fuzz), go test -fuzz for that long, with
//     USEGOLIB_FUZZ_PARALLEL workers (default 1). A new failing input is copied into
//     testdata/fuzz/FuzzGeneratedBridge, to be fixed and committed.
//
// USEGOLIB_FUZZ_WORKDIR keeps the work directory there (to rerun go test by hand).
func TestGeneratedCodecsFuzz(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a bridge module with the real toolchain; skipped in -short mode")
	}
	fuzztime := os.Getenv("USEGOLIB_FUZZTIME")
	work := os.Getenv("USEGOLIB_FUZZ_WORKDIR")
	if work == "" {
		work = t.TempDir()
	} else if err := os.MkdirAll(work, 0o755); err != nil {
		t.Fatal(err)
	}
	work, err := filepath.Abs(work)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := Build(ctx, Options{ModuleDir: level3Dir, OutDir: filepath.Join(t.TempDir(), "out"), WorkDir: work, Generics: level3Generics}); err != nil {
		t.Fatal(err)
	}
	harness, err := os.ReadFile(filepath.Join("testdata", "fuzzbridge", "zz_fuzz_test.go"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(work, "zz_fuzz_test.go"), harness, 0o644); err != nil {
		t.Fatal(err)
	}
	corpus := filepath.Join("testdata", "fuzz", "FuzzGeneratedBridge")
	workCorpus := filepath.Join(work, "testdata", "fuzz", "FuzzGeneratedBridge")
	if err := copyDir(corpus, workCorpus); err != nil {
		t.Fatal(err)
	}

	args := []string{"test", "-count=1", "-run=^FuzzGeneratedBridge$", "."}
	if fuzztime != "" {
		parallel := os.Getenv("USEGOLIB_FUZZ_PARALLEL")
		if parallel == "" {
			parallel = "1"
		}
		args = []string{"test", "-run=^$", "-fuzz=^FuzzGeneratedBridge$", "-fuzztime=" + fuzztime, "-parallel=" + parallel, "-timeout=0", "."}
	}
	env := gotool.Env(os.Environ(), os.Getenv("GOFLAGS"))
	start := time.Now()
	out, err := gotool.Combined(ctx, work, env, args...)
	t.Logf("go %v in %s (%v):\n%s", args, work, time.Since(start).Round(time.Second), lastLines(out, 30))
	if err != nil {
		// Keep the new failing inputs, to fix and commit.
		if cerr := copyDir(workCorpus, corpus); cerr != nil {
			t.Errorf("copying the failing inputs back: %v", cerr)
		}
		t.Fatalf("FuzzGeneratedBridge failed: %v (new failing inputs are in %s)", err, corpus)
	}
	if fuzztime == "" && !regexp.MustCompile(`(?m)^ok\s`).Match(out) {
		t.Fatalf("go test did not pass:\n%s", out)
	}
}

// copyDir copies the regular files of src (if it exists) into dst, creating dst.
func copyDir(src, dst string) error {
	entries, err := os.ReadDir(src)
	if os.IsNotExist(err) {
		return nil
	} else if err != nil {
		return err
	}
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return err
	}
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		data, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// lastLines returns the last n lines of out.
func lastLines(out []byte, n int) string {
	end := len(out)
	for i := len(out) - 1; i >= 0; i-- {
		if out[i] == '\n' && i != len(out)-1 {
			if n--; n == 0 {
				return string(out[i+1 : end])
			}
		}
	}
	return string(out)
}
