package qr

import (
	"net/http"

	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"

	"homeward/hooks/setup"
)

// verifyForm is the body of POST /api/qr/verify.
type verifyForm struct {
	Token string `form:"token" json:"token"` // a bare token or a full link URL
}

// Validate checks the form's shape; the token itself is judged by Verify.
func (f verifyForm) Validate() error {
	return validation.ValidateStruct(&f,
		validation.Field(&f.Token, validation.Required, validation.Length(1, maxTokenLength)),
	)
}

// verifyResponse is what the verifier tells a volunteer or a third party.
// The link's label (where a poster hangs) stays internal.
type verifyResponse struct {
	Verdict string           `json:"verdict"`
	Message string           `json:"message"`
	Kid     string           `json:"kid,omitempty"`
	Link    *verifiedLink    `json:"link,omitempty"`
	Embassy *verifiedEmbassy `json:"embassy,omitempty"`
}

type verifiedLink struct {
	Id       string `json:"id"`
	Language string `json:"language"`
	Expires  string `json:"expires"`
}

// verifiedEmbassy is only given for a link that exists, with the official
// contacts, so that even a warning tells people where to turn.
type verifiedEmbassy struct {
	Name       string `json:"name"`
	Slug       string `json:"slug"`
	Country    string `json:"country"`
	Hotline    string `json:"hotline"`
	Messaging  string `json:"messaging"`
	ContactURL string `json:"contact_url"`
	Demo       bool   `json:"demo"`
}

// verifyHandler serves POST /api/qr/verify: token in, verdict and embassy
// out. Every verdict is a 200: the request worked, the code may not.
func verifyHandler(e *core.RequestEvent) error {
	var form verifyForm
	if err := e.BindBody(&form); err != nil {
		return e.BadRequestError("Failed to read the request body.", err)
	}
	if err := form.Validate(); err != nil {
		return e.BadRequestError("Send the code's link or token as \"token\".", err)
	}
	return e.JSON(http.StatusOK, newVerifyResponse(e.App, VerifyInput(e.App, form.Token)))
}

func newVerifyResponse(app core.App, res Result) verifyResponse {
	out := verifyResponse{Verdict: res.Verdict, Message: res.Reason, Kid: res.Kid}
	if res.Link != nil {
		out.Link = &verifiedLink{
			Id:       res.Link.Id,
			Language: res.Link.GetString("language"),
			Expires:  linkExpiry(res.Link).UTC().Format("2006-01-02T15:04:05Z"),
		}
	}
	if res.Embassy != nil && res.Embassy.GetBool("active") {
		out.Embassy = &verifiedEmbassy{
			Name:       res.Embassy.GetString("name"),
			Slug:       res.Embassy.GetString("slug"),
			Country:    res.Embassy.GetString("country"),
			Hotline:    res.Embassy.GetString("hotline"),
			Messaging:  res.Embassy.GetString("messaging"),
			ContactURL: contactURL(app, res.Embassy.GetString("slug")),
			Demo:       res.Embassy.GetBool("demo"),
		}
	}
	return out
}

// contactURL is the official address of an embassy's contact page, or its
// path while no official address is set.
func contactURL(app core.App, slug string) string {
	base, _ := setup.PublicURL(app)
	return base + "/e/" + slug
}
