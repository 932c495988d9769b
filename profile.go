package main

import (
	"log"
	"os"
	"runtime"
	"runtime/pprof"

	"github.com/pocketbase/pocketbase/core"
)

// profileFromEnv writes a CPU profile to $HOMEWARD_CPUPROFILE and a heap
// profile (allocations since start, and what is in use at the end) to
// $HOMEWARD_MEMPROFILE when the server stops. The surge benchmark
// (bench/sync -only surge -cpuprofile) sets them; nothing is served over
// HTTP, and without the variables nothing is done.
func profileFromEnv(app core.App) {
	cpu, mem := os.Getenv("HOMEWARD_CPUPROFILE"), os.Getenv("HOMEWARD_MEMPROFILE")
	if cpu == "" && mem == "" {
		return
	}
	if cpu != "" {
		f, err := os.Create(cpu)
		if err != nil {
			log.Fatal(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			log.Fatal(err)
		}
	}
	app.OnTerminate().BindFunc(func(e *core.TerminateEvent) error {
		if cpu != "" {
			pprof.StopCPUProfile()
		}
		if mem != "" {
			if f, err := os.Create(mem); err == nil {
				runtime.GC()
				pprof.WriteHeapProfile(f)
				f.Close()
			}
		}
		return e.Next()
	})
}
