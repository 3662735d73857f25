package dev.sluice.api.config;

/** Whether a policy rejects requests over its limits or only counts them. */
public enum Mode {
    /** Requests over a limit are rejected. */
    Enforce,
    /** Requests over a limit are counted and reported as would-be rejections, never rejected. */
    Shadow
}
