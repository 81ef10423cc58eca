package dashboard

import (
	"encoding/csv"
	"io"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
)

// CSVWriter is the one CSV writer of every export (the churn list, the
// analytics tables, cis import's reject file): it escapes every cell, so a
// name, a plan, a campaign or a reason typed as "=HYPERLINK(…)" opens in a
// spreadsheet as text, not as a formula (OWASP CSV injection). A cell that
// starts with = + - @, a tab or a carriage return gets a leading
// apostrophe, unless it is a plain number such as -0.25.
type CSVWriter struct{ w *csv.Writer }

// NewCSVWriter writes escaped CSV to w.
func NewCSVWriter(w io.Writer) *CSVWriter { return &CSVWriter{w: csv.NewWriter(w)} }

// Write escapes and writes one record.
func (c *CSVWriter) Write(rec []string) error { return c.w.Write(escapeCells(rec)) }

// Flush writes what is buffered; Error reports the first write error.
func (c *CSVWriter) Flush() { c.w.Flush() }

// Error reports the first error of a Write or Flush.
func (c *CSVWriter) Error() error { return c.w.Error() }

func escapeCells(rec []string) []string {
	out := make([]string, len(rec))
	for i, v := range rec {
		out[i] = EscapeCell(v)
	}
	return out
}

// EscapeCell is the escaping CSVWriter applies to one cell.
func EscapeCell(v string) string {
	if v == "" || !strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return v
	}
	if _, err := strconv.ParseFloat(v, 64); err == nil {
		return v
	}
	return "'" + v
}

// sendCSV starts a CSV download named name and writes it with fill.
func sendCSV(c echo.Context, name string, fill func(w *CSVWriter) error) error {
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	h.Set(echo.HeaderContentDisposition, `attachment; filename="`+name+`"`)
	c.Response().WriteHeader(200)
	w := NewCSVWriter(c.Response())
	if err := fill(w); err != nil {
		return err
	}
	w.Flush()
	return w.Error()
}
