package dev.sluice.api.config;

/** Where a policy's counters live. */
public enum Scope {
    /** Each sidecar enforces the limits alone, with its own counters. */
    Local,
    /** One limit shared by every sidecar of the policy, through Redis. */
    Global
}
