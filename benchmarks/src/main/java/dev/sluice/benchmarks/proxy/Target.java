package dev.sluice.benchmarks.proxy;

/** Where the load goes: straight to the upstream (the reference), or through one of the two proxies. */
enum Target {
    DIRECT("direct"),
    NGINX("nginx"),
    SLUICE("Sluice");

    final String label;

    Target(String label) {
        this.label = label;
    }
}
