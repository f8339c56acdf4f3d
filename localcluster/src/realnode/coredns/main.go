// Command coredns is CoreDNS with only the plugins the real node's cluster DNS uses: it answers
// <service>.<namespace>.svc.cluster.local from the API server (the kubernetes plugin) for the pods of
// the real node, the way a cluster's DNS does. Built from the upstream module, plugins chosen here
// (CoreDNS's documented way to build with a subset), which keeps cloud SDKs out of the build.
package main

import (
	_ "github.com/coredns/coredns/plugin/cache"
	_ "github.com/coredns/coredns/plugin/errors"
	_ "github.com/coredns/coredns/plugin/health"
	_ "github.com/coredns/coredns/plugin/kubernetes"
	_ "github.com/coredns/coredns/plugin/log"
	_ "github.com/coredns/coredns/plugin/ready"
	_ "github.com/coredns/coredns/plugin/bind"
	_ "github.com/coredns/coredns/plugin/whoami"

	"github.com/coredns/coredns/core/dnsserver"
	"github.com/coredns/coredns/coremain"
)

func main() {
	_ = dnsserver.Directives
	coremain.Run()
}
