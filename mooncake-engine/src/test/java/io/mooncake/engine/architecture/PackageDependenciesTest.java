package io.mooncake.engine.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.EvaluationResult;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The engine's packages form layers without cycles: {@code api} depends on nothing else of the
 * engine, the transport SPI imports no transport, transports import no other transport and
 * nothing of {@code core}, and nothing but {@code core} knows a transport by class.
 */
class PackageDependenciesTest {

    private static JavaClasses classes;

    @BeforeAll
    static void importClasses() {
        classes = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("io.mooncake.engine");
    }

    @Test
    void packagesAreFreeOfCycles() {
        holds(slices().matching("io.mooncake.engine.(*)..").should().beFreeOfCycles());
    }

    @Test
    void apiDependsOnNothingElseOfTheEngine() {
        holds(noClasses().that().resideInAPackage("io.mooncake.engine.api..").should().dependOnClassesThat()
                .resideOutsideOfPackages("io.mooncake.engine.api..", "java.."));
    }

    @Test
    void theTransportSpiImportsNoTransport() {
        holds(noClasses().that().resideInAPackage("io.mooncake.engine.transport").should().dependOnClassesThat()
                .resideInAPackage("io.mooncake.engine.transport.*.."));
    }

    @Test
    void transportsImportNoOtherTransportAndNoCore() {
        holds(slices().matching("io.mooncake.engine.transport.(*)..").should().notDependOnEachOther());
        holds(noClasses().that().resideInAPackage("io.mooncake.engine.transport..").should().dependOnClassesThat()
                .resideInAPackage("io.mooncake.engine.core.."));
    }

    @Test
    void onlyTheServiceLoaderKnowsTransportsByClass() {
        holds(noClasses().that().resideOutsideOfPackage("io.mooncake.engine.transport..")
                .and().resideOutsideOfPackage("io.mooncake.engine.bench..")
                .should().dependOnClassesThat().resideInAnyPackage("io.mooncake.engine.transport.tcp..",
                        "io.mooncake.engine.transport.shm..", "io.mooncake.engine.transport.local.."));
    }

    /** Evaluates a rule over the engine's classes and fails with ArchUnit's report of every violation. */
    private static void holds(ArchRule rule) {
        assertThat(classes.size()).as("engine classes imported").isGreaterThan(50);
        EvaluationResult result = rule.allowEmptyShould(false).evaluate(classes);
        assertThat(result.hasViolation()).as("%s", result.getFailureReport()).isFalse();
    }
}
