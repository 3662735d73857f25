package dev.sluice.operator.inject;

import dev.sluice.api.inject.InjectionNames;

/**
 * Why the injector left a pod without the sidecar; {@link #word} is the {@code reason} of the metric
 * {@code sluice_pod_injections_total}. A pod that was selected but cannot be injected gets the annotation
 * {@value InjectionNames#SKIPPED} saying what to change; a pod that was not selected, or already has the
 * sidecar, is left exactly as it is.
 */
public enum SkipReason {
    HOST_NETWORK("host_network", true),
    NO_HTTP_PORT("no_http_port", true),
    AMBIGUOUS_PORT("ambiguous_port", true),
    NO_PORT_CONTRACT("no_port_contract", true),
    UNKNOWN_PORT("unknown_port", true),
    LOOPBACK_PROBE("loopback_probe", true),
    /** {@value InjectionNames#APP_PROTOCOL} is neither {@value InjectionNames#APP_PROTOCOL_HTTP} nor {@value InjectionNames#APP_PROTOCOL_H2C}. */
    UNKNOWN_APP_PROTOCOL("unknown_app_protocol", true),
    EXCLUDED_NAMESPACE("excluded_namespace", true),
    /** A volume or container of the pod already has the name of one the injector adds (and is not Sluice's). */
    NAME_CONFLICT("name_conflict", true),
    ALREADY_INJECTED("already_injected", false),
    /** Neither the namespace nor the pod asks for the sidecar (or the pod opted out where it may). */
    NOT_SELECTED("not_selected", false);

    private final String word;
    private final boolean annotates;

    SkipReason(String word, boolean annotates) {
        this.word = word;
        this.annotates = annotates;
    }

    public String word() {
        return word;
    }

    /** Whether the pod is annotated with why (it asked for the sidecar and did not get it). */
    public boolean annotates() {
        return annotates;
    }
}
