package dev.sluice.sidecar.redis;

import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.RedisConnectionException;
import java.util.Locale;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/** Sorts Redis failures into what an operator acts on, with a one-line message that never holds a secret. */
final class RedisErrors {
    enum Reason { TIMEOUT, UNREACHABLE, AUTH, OTHER }

    private RedisErrors() {
    }

    static Reason reason(Throwable error) {
        for (Throwable cause = error; cause != null; cause = cause.getCause()) {
            if (cause instanceof RedisCommandTimeoutException) {
                return Reason.TIMEOUT;
            }
            if (cause instanceof RedisErrors.CredentialsUnavailableException || isAuth(cause.getMessage())) {
                return Reason.AUTH;
            }
        }
        for (Throwable cause = error; cause != null; cause = cause.getCause()) {
            if (cause instanceof RedisConnectionException || cause instanceof java.io.IOException
                    || String.valueOf(cause.getMessage()).contains("not connected")) {
                return Reason.UNREACHABLE;
            }
        }
        return Reason.OTHER;
    }

    private static boolean isAuth(String message) {
        if (message == null) {
            return false;
        }
        String upper = message.toUpperCase(Locale.ROOT);
        return upper.contains("WRONGPASS") || upper.contains("NOAUTH") || upper.contains("INVALID PASSWORD")
                || upper.contains("AUTH <PASSWORD> CALLED WITHOUT ANY PASSWORD") || upper.contains("INVALID USERNAME-PASSWORD");
    }

    /**
     * A one-line account: an authentication refusal as Redis worded it, else the outermost message and
     * the root cause's, e.g. "Unable to connect to 127.0.0.1:6390: Connection refused".
     */
    static String message(Throwable error) {
        Throwable top = error;
        while ((top instanceof CompletionException || top instanceof ExecutionException) && top.getCause() != null) {
            top = top.getCause();
        }
        Throwable root = top;
        String auth = null;
        for (Throwable cause = top; cause != null; cause = cause.getCause()) {
            if (isAuth(cause.getMessage())) {
                auth = cause.getMessage();
            }
            root = cause;
        }
        if (auth != null) {
            // Lettuce wraps Redis's words in "some.Exception: ..."; keep Redis's words.
            return auth.replaceFirst("^([\\w$]+\\.)+[\\w$]+: ", "").strip();
        }
        String outer = top.getMessage() == null ? top.getClass().getSimpleName() : top.getMessage();
        if (root == top || root.getMessage() == null || outer.contains(root.getMessage())) {
            return outer;
        }
        return outer + ": " + root.getMessage();
    }

    /** Thrown when the password file cannot be read. */
    static final class CredentialsUnavailableException extends RuntimeException {
        CredentialsUnavailableException(String message) {
            super(message, null, false, false);
        }
    }
}
