package dev.sluice.operator;

import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.Dependency;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchCondition;
import com.tngtech.archunit.lang.ConditionEvents;
import com.tngtech.archunit.lang.SimpleConditionEvent;
import com.tngtech.archunit.lang.syntax.ArchRuleDefinition;
import org.junit.jupiter.api.Test;

/**
 * The operator's packages form a tree that depends downwards and sideways only: {@code Main} and its
 * settings at the root wire the packages below, a package below never reaches back up (so
 * {@code render.validation} knows nothing of {@code render}), and no two packages need each other.
 */
class PackageStructureTest {
    private static final String ROOT = "dev.sluice.operator";
    private static final JavaClasses OPERATOR = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages(ROOT);

    @Test
    void noPackageCycles() {
        slices().matching(ROOT + ".(**)").should().beFreeOfCycles().check(OPERATOR);
    }

    @Test
    void noPackageImportsOneAboveIt() {
        ArchRuleDefinition.classes().should(notDependOnAnAncestorPackage()).check(OPERATOR);
    }

    private static ArchCondition<JavaClass> notDependOnAnAncestorPackage() {
        return new ArchCondition<>("not depend on a class of a package above their own") {
            @Override
            public void check(JavaClass origin, ConditionEvents events) {
                String own = origin.getPackageName();
                for (Dependency dependency : origin.getDirectDependenciesFromSelf()) {
                    String target = dependency.getTargetClass().getPackageName();
                    boolean above = target.startsWith(ROOT) && !target.equals(own) && own.startsWith(target + ".");
                    if (above) {
                        events.add(SimpleConditionEvent.violated(dependency, dependency.getDescription()));
                    }
                }
            }
        };
    }
}
