package io.mooncake.engine.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
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
        slices().matching("io.mooncake.engine.(*)..").should().beFreeOfCycles().check(classes);
    }

    @Test
    void apiDependsOnNothingElseOfTheEngine() {
        noClasses().that().resideInAPackage("io.mooncake.engine.api..").should().dependOnClassesThat()
                .resideOutsideOfPackages("io.mooncake.engine.api..", "java..").check(classes);
    }

    @Test
    void theTransportSpiImportsNoTransport() {
        noClasses().that().resideInAPackage("io.mooncake.engine.transport").should().dependOnClassesThat()
                .resideInAPackage("io.mooncake.engine.transport.*..").check(classes);
    }

    @Test
    void transportsImportNoOtherTransportAndNoCore() {
        slices().matching("io.mooncake.engine.transport.(*)..").should().notDependOnEachOther().check(classes);
        noClasses().that().resideInAPackage("io.mooncake.engine.transport..").should().dependOnClassesThat()
                .resideInAPackage("io.mooncake.engine.core..").check(classes);
    }

    @Test
    void onlyTheServiceLoaderKnowsTransportsByClass() {
        noClasses().that().resideOutsideOfPackage("io.mooncake.engine.transport..")
                .and().resideOutsideOfPackage("io.mooncake.engine.bench..")
                .should().dependOnClassesThat().resideInAnyPackage("io.mooncake.engine.transport.tcp..",
                        "io.mooncake.engine.transport.shm..", "io.mooncake.engine.transport.local..")
                .check(classes);
    }
}
