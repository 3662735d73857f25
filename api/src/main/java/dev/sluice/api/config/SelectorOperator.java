package dev.sluice.api.config;

/** The operators of a Kubernetes label selector requirement. */
public enum SelectorOperator {
    In, NotIn, Exists, DoesNotExist
}
