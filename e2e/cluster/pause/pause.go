// Command pause is the pod sandbox's process (the CRI "pause" image): it holds the pod's
// namespaces open, reaps the zombies it inherits as PID 1, and exits at once on SIGINT or
// SIGTERM so a pod stops without waiting out a grace period. Kubernetes ships the same in C
// (build/pause/linux/pause.c); Go needs no C toolchain here, and the static binary is ~1.5 MB.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	signals := make(chan os.Signal, 8)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM, syscall.SIGCHLD)
	for s := range signals {
		if s != syscall.SIGCHLD {
			os.Exit(0)
		}
		for {
			pid, err := syscall.Wait4(-1, nil, syscall.WNOHANG, nil)
			if pid <= 0 || err != nil {
				break
			}
		}
	}
}
