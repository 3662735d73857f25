package dev.sluice.sidecar.admin;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.sluice.api.config.RenderedResource;
import dev.sluice.api.config.SidecarConfig;
import dev.sluice.sidecar.backpressure.ConcurrencyGate;
import dev.sluice.sidecar.backpressure.PolicyGate;
import dev.sluice.sidecar.breaker.Breaker;
import dev.sluice.sidecar.config.ConfigSource;
import dev.sluice.sidecar.config.LoadedConfig;
import dev.sluice.sidecar.config.ReloadFailure;
import dev.sluice.sidecar.enforce.Enforcement;
import dev.sluice.sidecar.http.Guard;
import dev.sluice.sidecar.limit.RuleLimiter;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * What the sidecar enforces, for the operator ({@code GET /report} on the admin port), which scrapes every sidecar every
 * few seconds and folds the reports into the resources' status: the document in force (its generation, format version
 * and the resources rendered into it with their generations), the last document refused since, each rule's cumulative
 * counts, each breaker's state, each gate's load. Compact and cheap: read from what is in force, no YAML, no pretty
 * printing; {@code /config} and {@code /state} are the views for people. Nulls are written out: {@code config} is null
 * while nothing is in force, {@code refused} while the document in force is the latest seen.
 *
 * <p>Names are the resources' {@code metadata.name}, without the namespace (a sidecar enforces one namespace's
 * document). Counters only grow while the sidecar runs and the rule stays in the configuration; the operator computes
 * rates from successive reports and takes a decrease for a restart.
 *
 * @param sidecarVersion this build ({@link dev.sluice.sidecar.SidecarVersion})
 * @param documentVersion the newest document format this sidecar reads ({@link SidecarConfig#DOCUMENT_VERSION})
 */
@JsonInclude(JsonInclude.Include.ALWAYS)
public record Report(String sidecarVersion, int documentVersion, Document config, Refused refused, List<Rule> rules,
                     List<BreakerState> breakers, List<Gate> gates, boolean draining) {

    /**
     * The document in force.
     *
     * @param generation the operator's generation of it (0 for a file without one, or an absent document)
     * @param version its format version (1 when it names none)
     * @param source {@code watch} (the ConfigMap on the API server) or {@code file}
     * @param configMapUid the watched ConfigMap's uid; null for a file or an absent ConfigMap
     * @param ignoredFields the fields skipped because the document is of a newer format than this sidecar reads
     */
    @JsonInclude(JsonInclude.Include.ALWAYS)
    public record Document(long generation, int version, String source, String configMapUid, String loadedAt,
                           List<RenderedResource> resources, List<String> ignoredFields) {
    }

    /**
     * The last document refused after the one in force was loaded (cleared when a later document loads).
     *
     * @param generation the refused document's generation; null when it has none or could not be read that far
     * @param message what {@code /config} shows as {@code lastReloadError.message}
     * @param resources what the refused document says it renders, when it could be read that far
     */
    @JsonInclude(JsonInclude.Include.ALWAYS)
    public record Refused(String at, Long generation, String message, List<RenderedResource> resources) {
    }

    /** A rule in force with its cumulative counts ({@link RuleLimiter.Counts}); {@code mode} is {@code Enforce} or {@code Shadow}. */
    @JsonInclude(JsonInclude.Include.ALWAYS)
    public record Rule(String policy, String rule, String mode, long requests, long rejected, long shadowRejected, long fallbacks) {
    }

    /** A circuit breaker in force; {@code since}: when it entered {@code state}, null if it never left the closed state it started in. */
    @JsonInclude(JsonInclude.Include.ALWAYS)
    public record BreakerState(String breaker, String state, String since) {
    }

    /**
     * A policy's concurrency gate: slots taken (requests in flight to the app, and open WebSockets when the policy
     * counts them) and requests waiting for a slot.
     */
    @JsonInclude(JsonInclude.Include.ALWAYS)
    public record Gate(String policy, int inFlight, int queued) {
    }

    /** The report of {@code current}, with {@code failure} the last refusal (null: none since it loaded). */
    public static Report of(String sidecarVersion, Enforcement current, ReloadFailure failure, boolean draining) {
        List<Rule> rules = new ArrayList<>();
        for (RuleLimiter rule : current.limiter().rules()) {
            RuleLimiter.Counts counts = rule.counts();
            rules.add(new Rule(name(rule.policy()), rule.rule(), rule.mode().name(), counts.requests(), counts.rejected(),
                    counts.shadowRejected(), counts.fallbacks()));
        }
        List<BreakerState> breakers = new ArrayList<>();
        for (Guard guard : current.guards().values()) {
            Breaker breaker = guard.breaker();
            breakers.add(new BreakerState(breaker.config().name(), breaker.stateLabel(), text(breaker.stateSince())));
        }
        List<Gate> gates = new ArrayList<>();
        for (PolicyGate policyGate : current.gates()) {
            ConcurrencyGate gate = policyGate.gate();
            gates.add(new Gate(name(gate.policy()), gate.inFlight(), gate.queued()));
        }
        return new Report(sidecarVersion, SidecarConfig.DOCUMENT_VERSION, document(current.loaded()), refused(failure), rules, breakers,
                gates, draining);
    }

    private static Document document(LoadedConfig loaded) {
        if (loaded == null) {
            return null;
        }
        ConfigSource source = loaded.source();
        return new Document(loaded.generation(), loaded.config().effectiveVersion(), source.kind().name(), source.uid(),
                loaded.loadedAt().toString(), loaded.config().resources(), loaded.ignoredFields());
    }

    private static Refused refused(ReloadFailure failure) {
        return failure == null ? null : new Refused(failure.at().toString(), failure.generation(), failure.message(), failure.resources());
    }

    /**
     * A resource's {@code metadata.name} from its qualified name ({@code namespace/name}, or the name alone outside a
     * cluster): neither part can contain a slash.
     */
    private static String name(String qualified) {
        return qualified.substring(qualified.lastIndexOf('/') + 1);
    }

    private static String text(Instant instant) {
        return instant == null ? null : instant.toString();
    }
}
