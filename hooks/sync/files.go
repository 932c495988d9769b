package sync

import (
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/router"
)

type uploads struct{}

func newUploads(app core.App) (*uploads, error) { return &uploads{}, nil }

func bindFilesApi(a *api, g *router.RouterGroup[*core.RequestEvent]) {}
