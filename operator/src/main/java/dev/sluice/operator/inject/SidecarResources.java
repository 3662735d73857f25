package dev.sluice.operator.inject;

import dev.sluice.api.inject.InjectionNames;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * The sidecar's resources: the operator's defaults with a pod's allowed annotations on top. An override the
 * API server would refuse (not a quantity, a request above its limit) is dropped with a warning, so that a
 * typo in an annotation never costs the pod its creation.
 */
final class SidecarResources {
    /** A Kubernetes quantity (resource.Quantity's serialised forms), non-negative. */
    private static final Pattern QUANTITY = Pattern.compile(
            "\\+?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?[0-9]+)?");
    /** Annotation, then which part of the requirements and which resource it sets. */
    private static final List<String[]> OVERRIDES = List.of(
            new String[] {InjectionNames.SIDECAR_CPU, "requests", "cpu"},
            new String[] {InjectionNames.SIDECAR_MEMORY, "requests", "memory"},
            new String[] {InjectionNames.SIDECAR_CPU_LIMIT, "limits", "cpu"},
            new String[] {InjectionNames.SIDECAR_MEMORY_LIMIT, "limits", "memory"});

    private SidecarResources() {
    }

    static boolean valid(Quantity quantity) {
        return quantity != null && QUANTITY.matcher(quantity.toString()).matches();
    }

    /** Whether any of the resource annotations is present. */
    static boolean requested(Map<String, String> annotations) {
        return OVERRIDES.stream().anyMatch(override -> annotations.containsKey(override[0]));
    }

    /** The first resource whose request exceeds its limit, said in words; null when none does. */
    static String requestAboveLimit(ResourceRequirements resources) {
        Map<String, Quantity> requests = resources.getRequests() == null ? Map.of() : resources.getRequests();
        Map<String, Quantity> limits = resources.getLimits() == null ? Map.of() : resources.getLimits();
        for (Map.Entry<String, Quantity> request : new TreeMap<>(requests).entrySet()) {
            Quantity limit = limits.get(request.getKey());
            if (limit != null && request.getValue().getNumericalAmount().compareTo(limit.getNumericalAmount()) > 0) {
                return "the " + request.getKey() + " request " + request.getValue() + " is above its limit " + limit;
            }
        }
        return null;
    }

    /** {@code defaults} with the pod's resource annotations applied, each invalid one dropped and said in {@code warnings}. */
    static ResourceRequirements withOverrides(ResourceRequirements defaults, Map<String, String> annotations, List<String> warnings) {
        Map<String, Quantity> requests = new LinkedHashMap<>(defaults.getRequests() == null ? Map.of() : defaults.getRequests());
        Map<String, Quantity> limits = new LinkedHashMap<>(defaults.getLimits() == null ? Map.of() : defaults.getLimits());
        for (String[] override : OVERRIDES) {
            String value = annotations.get(override[0]);
            if (value == null) {
                continue;
            }
            Quantity quantity = new Quantity(value.trim());
            if (!valid(quantity)) {
                warnings.add(override[0] + " '" + value + "' is not a Kubernetes quantity (e.g. 100m, 256Mi): the sidecar's default "
                        + override[1] + "." + override[2] + " is used");
                continue;
            }
            (override[1].equals("requests") ? requests : limits).put(override[2], quantity);
        }
        ResourceRequirements merged = new ResourceRequirementsBuilder().withRequests(requests).withLimits(limits).build();
        String conflict = requestAboveLimit(merged);
        if (conflict == null) {
            return merged;
        }
        warnings.add("the sidecar resource annotations are not used: " + conflict + " (the API server would refuse the pod);"
                + " the sidecar's default resources are used");
        return defaults;
    }
}
