package dev.sluice.operator.inject;

import dev.sluice.api.inject.InjectionNames;

/** What a namespace's label {@value InjectionNames#LABEL} says about its pods. */
public enum NamespaceMode {
    /** No label (or another value): only pods labelled {@value InjectionNames#POD_OPT_IN} get the sidecar. */
    NONE,
    /** Pods get the sidecar unless labelled {@value InjectionNames#POD_OPT_OUT}. */
    ENABLED,
    /** Every pod gets the sidecar: the platform team decided that none runs without limits. */
    REQUIRED;

    public static NamespaceMode of(String labelValue) {
        if (InjectionNames.NAMESPACE_REQUIRED.equals(labelValue)) {
            return REQUIRED;
        }
        return InjectionNames.NAMESPACE_ENABLED.equals(labelValue) ? ENABLED : NONE;
    }
}
