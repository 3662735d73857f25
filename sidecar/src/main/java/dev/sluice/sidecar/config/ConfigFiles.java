package dev.sluice.sidecar.config;

import dev.sluice.api.config.FieldError;
import dev.sluice.api.config.PolicyConfig;
import dev.sluice.api.config.Scope;
import dev.sluice.api.config.SidecarConfig;
import dev.sluice.sidecar.redis.RedisFiles;
import java.util.List;
import java.util.Map;

/**
 * The files a configuration names outside the document (the Redis password, CA, client certificate
 * and key), checked as the sidecar reads them. They exist only where the sidecar runs, so the
 * operator's validation cannot see them: a start, a reload and {@code --check} all ask here.
 */
public final class ConfigFiles {
    private ConfigFiles() {
    }

    /** What is wrong with the files the policies that apply to a pod with {@code podLabels} (null: all) would read. */
    public static List<FieldError> problems(SidecarConfig config, Map<String, String> podLabels) {
        if (config.redis() == null) {
            return List.of();
        }
        for (PolicyConfig policy : config.policies()) {
            if (policy.scope() == Scope.Global && (podLabels == null || policy.podSelector().matches(podLabels))) {
                return RedisFiles.problems(config.redis(), "redis");
            }
        }
        return List.of();
    }
}
