package mailproxy.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.function.UnaryOperator;

/** A table of inputs and what a function must make of each, written as pairs. */
public final class Pairs {
    private Pairs() {}

    /** Each input, then what {@code f} must return for it; a failure names the input. */
    public static void assertMaps(UnaryOperator<String> f, String... inputThenOutput) {
        if (inputThenOutput.length % 2 != 0) throw new IllegalArgumentException("an output for every input");
        for (int i = 0; i < inputThenOutput.length; i += 2) {
            assertEquals(inputThenOutput[i + 1], f.apply(inputThenOutput[i]), "for " + inputThenOutput[i]);
        }
    }
}
