// Command pause is the sandbox ("pause") process of the real node's pods: it holds the pod's
// namespaces, reaps the zombies of processes that share its PID namespace, and exits on SIGTERM or
// SIGINT. The upstream image (registry.k8s.io/pause) is a registry pull away, which these machines
// cannot make, so the real node builds this one (docs/real-node.md).
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	signals := make(chan os.Signal, 8)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT, syscall.SIGCHLD)
	for s := range signals {
		if s != syscall.SIGCHLD {
			os.Exit(0)
		}
		for {
			var status syscall.WaitStatus
			pid, err := syscall.Wait4(-1, &status, syscall.WNOHANG, nil)
			if pid <= 0 || err != nil {
				break
			}
		}
	}
}
