package dev.sluice.operator.uninstall;

/** A step of the uninstall that failed so that the next ones must not run; the message says what and why. */
public final class UninstallFailure extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public UninstallFailure(String message) {
        super(message, null, false, false);
    }
}
