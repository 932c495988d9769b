package openrosa

import (
	"database/sql"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io/fs"
	"net/http"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"homeward/hooks/sealing"
	"homeward/internal/vocab"
	"homeward/internal/xform"
)

// labels are the web app's strings and country names the form is labelled
// with, read once from the web root.
type labels struct {
	strings   map[string]map[string]string // language -> key -> text
	countries map[string]map[string]string // language -> code -> name
}

func loadLabels(public fs.FS) (labels, error) {
	l := labels{strings: map[string]map[string]string{}}
	for _, lang := range vocab.Languages {
		raw, err := fs.ReadFile(public, "i18n/"+lang+".json")
		if err != nil {
			return l, fmt.Errorf("read the %s labels: %w", lang, err)
		}
		m := map[string]string{}
		if err := json.Unmarshal(raw, &m); err != nil {
			return l, fmt.Errorf("read the %s labels: %w", lang, err)
		}
		l.strings[lang] = m
	}
	raw, err := fs.ReadFile(public, "i18n/countries.json")
	if err != nil {
		return l, fmt.Errorf("read the country names: %w", err)
	}
	var c struct {
		Names map[string]map[string]string `json:"names"`
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		return l, fmt.Errorf("read the country names: %w", err)
	}
	l.countries = c.Names
	return l, nil
}

// receivingSQL selects the embassy question's choices: the active
// embassies that take a plaintext report, which is what Collect sends, by
// the write path's one rule (sealing.TakesPlainReportsSQL).
const receivingSQL = "SELECT id, name FROM embassies WHERE active = TRUE AND " + sealing.TakesPlainReportsSQL + " ORDER BY name, id"

// receivingEmbassies are the embassy question's choices, by name: the
// active embassies that can receive a report from the form. An embassy
// whose staff have not made its key yet is left out until they do; the
// form's version, a hash of this list, then changes, so Collect offers
// the new form.
func receivingEmbassies(app core.App) ([]xform.Embassy, error) {
	var embassies []xform.Embassy
	if err := app.DB().NewQuery(receivingSQL).All(&embassies); err != nil {
		return nil, fmt.Errorf("read embassies: %w", err)
	}
	return embassies, nil
}

// errNoEmbassy: no embassy can receive the form's report yet, so the form,
// whose embassy question is required, could not be finished.
var errNoEmbassy = errors.New("no embassy takes a report from the form yet")

// currentForm builds the form for the embassies as they are now, or
// answers errNoEmbassy.
func (a *api) currentForm(app core.App) (xform.Form, error) {
	embassies, err := receivingEmbassies(app)
	if err != nil {
		return xform.Form{}, err
	}
	if len(embassies) == 0 {
		return xform.Form{}, errNoEmbassy
	}
	return xform.Build(xform.Input{Embassies: embassies, Labels: a.labels.strings, Countries: a.labels.countries})
}

// handedOut remembers that version was handed out, so its submissions
// are taken after the embassy list has changed again.
func handedOut(app core.App, version string) error {
	_, err := app.DB().NewQuery("INSERT OR IGNORE INTO {{openrosa_form_versions}} ([[version]]) VALUES ({:v})").
		Bind(dbx.Params{"v": version}).Execute()
	return err
}

// knownVersion reports whether version was ever handed out.
func knownVersion(app core.App, version string) (bool, error) {
	var v string
	err := app.DB().Select("version").From("openrosa_form_versions").Where(dbx.HashExp{"version": version}).Row(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// xformsList is formList's answer (OpenRosa Form List API).
type xformsList struct {
	XMLName xml.Name     `xml:"http://openrosa.org/xforms/xformsList xforms"`
	Forms   []xformEntry `xml:"xform"`
}

type xformEntry struct {
	FormID          string `xml:"formID"`
	Name            string `xml:"name"`
	Version         string `xml:"version"`
	Hash            string `xml:"hash"`
	DescriptionText string `xml:"descriptionText,omitempty"`
	DownloadURL     string `xml:"downloadUrl"`
	// ManifestURL is left out: the form has no media files.
	ManifestURL string `xml:"manifestUrl,omitempty"`
}

// formDescription is the verbose form list's description of the form.
const formDescription = "A report to an embassy for a person released from a scam compound, in eight languages."

// formList lists the report form. formID filters the list (another id
// lists nothing); verbose adds the description; listAllVersions lists
// every version that can be downloaded, which is the current one only:
// older versions are taken when submitted, but a phone always gets the
// current embassy list.
func (a *api) formList(e *core.RequestEvent, _ caller) error {
	form, err := a.currentForm(e.App)
	if errors.Is(err, errNoEmbassy) {
		// Nothing to fill in yet: an empty list, not a form that cannot be
		// finished.
		return writeXML(e, http.StatusOK, xformsList{})
	}
	if err == nil {
		err = handedOut(e.App, form.Version)
	}
	if err != nil {
		return formFailed(e, err)
	}
	list := xformsList{}
	if id := e.Request.URL.Query().Get("formID"); id == "" || id == xform.FormID {
		entry := xformEntry{
			FormID:      xform.FormID,
			Name:        formName(a.labels),
			Version:     form.Version,
			Hash:        "md5:" + form.MD5,
			DownloadURL: baseURL(e) + "/forms/" + xform.FormID + ".xml",
		}
		if e.Request.URL.Query().Get("verbose") == "true" {
			entry.DescriptionText = formDescription
		}
		list.Forms = append(list.Forms, entry)
	}
	return writeXML(e, http.StatusOK, list)
}

// noEmbassyYet says why there is no form to download.
const noEmbassyYet = "No embassy can receive reports here yet: each needs its sealing key, made by its staff. Get the list of forms again later."

// formFailed answers a request for the form when it could not be made.
func formFailed(e *core.RequestEvent, err error) error {
	e.App.Logger().Error("openrosa: make the form", "error", err)
	return respond(e, http.StatusInternalServerError, natureError, "The form could not be made; try again later.")
}

// formName is the form's name in Collect's list.
func formName(l labels) string {
	return l.strings["en"]["f.title"] + " (Homeward)"
}

// formDownload serves the form itself.
func (a *api) formDownload(e *core.RequestEvent, _ caller) error {
	if e.Request.PathValue("file") != xform.FormID+".xml" {
		return respond(e, http.StatusNotFound, natureError, "There is no such form here. Get the list of forms again.")
	}
	form, err := a.currentForm(e.App)
	if errors.Is(err, errNoEmbassy) {
		return respond(e, http.StatusNotFound, natureError, noEmbassyYet)
	}
	if err == nil {
		err = handedOut(e.App, form.Version)
	}
	if err != nil {
		return formFailed(e, err)
	}
	e.Response.Header().Set("Content-Type", "text/xml; charset=utf-8")
	return e.Blob(http.StatusOK, "text/xml; charset=utf-8", form.XML)
}

// baseURL is the OpenRosa base URL as the phone reached it: the address
// the volunteer typed into Collect, so the form list's links work from
// where the phone is.
func baseURL(e *core.RequestEvent) string {
	return scheme(e) + "://" + e.Request.Host + Prefix
}
