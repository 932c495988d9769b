package qr

import (
	"encoding/json"
	"slices"
	"strings"
	"unicode/utf8"

	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"

	"homeward/internal/vocab"
)

// embassyTexts are the embassy fields reporters read that may have a
// variant per language in embassies.i18n, with each field's own limit.
// The reporter app (/js/app.js, embassyText) picks a variant by the same
// rule as EmbassyText.
var embassyTexts = map[string]int{"name": 200, "hours": 200, "notes": 2000, "what_to_bring": 1000}

// EmbassyText returns an embassy's field in lang: the variant in
// embassies.i18n when one is set for lang, else the field as it is.
func EmbassyText(embassy *core.Record, lang, field string) string {
	var variants map[string]map[string]string
	if err := embassy.UnmarshalJSONField("i18n", &variants); err == nil {
		if v := strings.TrimSpace(variants[lang][field]); v != "" {
			return v
		}
	}
	return embassy.GetString(field)
}

// localize puts an embassy's texts in lang into c.
func (c *contact) localize(embassy *core.Record, lang string) {
	c.Name = EmbassyText(embassy, lang, "name")
	c.Hours = EmbassyText(embassy, lang, "hours")
	c.Notes = EmbassyText(embassy, lang, "notes")
	c.WhatToBring = EmbassyText(embassy, lang, "what_to_bring")
}

// validateEmbassyI18n holds embassies.i18n to its shape on every write
// path (the dashboard, the records API, Go code): an object whose keys are
// the app's languages, each an object of the fields of embassyTexts
// holding text within the field's own limit.
func validateEmbassyI18n(e *core.RecordEvent) error {
	if err := checkEmbassyI18n(e.Record.GetString("i18n")); err != nil {
		return validation.Errors{"i18n": err}
	}
	return e.Next()
}

func checkEmbassyI18n(raw string) error {
	raw = strings.TrimSpace(raw)
	if raw == "" || raw == "null" {
		return nil
	}
	var variants map[string]map[string]any
	if err := json.Unmarshal([]byte(raw), &variants); err != nil {
		return validation.NewError("validation_embassy_i18n",
			`Give the variants as {"<language>": {"name": "…", "hours": "…", "notes": "…", "what_to_bring": "…"}}.`)
	}
	for lang, fields := range variants {
		if !slices.Contains(vocab.Languages, lang) {
			return validation.NewError("validation_embassy_i18n_language",
				"A variant's language must be one of "+strings.Join(vocab.Languages, ", ")+".")
		}
		for field, v := range fields {
			max, ok := embassyTexts[field]
			if !ok {
				return validation.NewError("validation_embassy_i18n_field",
					"A variant may hold only name, hours, notes and what_to_bring.")
			}
			s, ok := v.(string)
			if !ok || utf8.RuneCountInString(s) > max {
				return validation.NewError("validation_embassy_i18n_text",
					"Each variant is text no longer than its field allows.")
			}
		}
	}
	return nil
}
