// Command coredns is CoreDNS with only the plugins the e2e cluster's DNS needs, so a build pulls
// in neither the cloud providers' SDKs nor the other forty plugins of the stock binary. It serves
// cluster.local from the API server and forwards nothing: names outside the cluster do not
// resolve, as no traffic may leave this machine.
package main

import (
	"github.com/coredns/coredns/core/dnsserver"
	"github.com/coredns/coredns/coremain"

	_ "github.com/coredns/coredns/plugin/cache"
	_ "github.com/coredns/coredns/plugin/errors"
	_ "github.com/coredns/coredns/plugin/health"
	_ "github.com/coredns/coredns/plugin/kubernetes"
	_ "github.com/coredns/coredns/plugin/loadbalance"
	_ "github.com/coredns/coredns/plugin/ready"
)

func main() {
	// the order plugins handle a query in, as in CoreDNS's plugin.cfg
	dnsserver.Directives = []string{"errors", "health", "ready", "kubernetes", "cache", "loadbalance"}
	coremain.Run()
}
