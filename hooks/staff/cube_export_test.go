package staff

import "github.com/pocketbase/pocketbase/core"

// CubeWarm says whether app's cube and its map of the search index's rows
// are loaded, for the tests of package staff_test.
func CubeWarm(app core.App) bool {
	c := cubeOf(app)
	c.mu.RLock()
	loaded := c.loaded
	c.mu.RUnlock()
	c.rows.mu.Lock()
	defer c.rows.mu.Unlock()
	return loaded && c.rows.reports != nil
}
