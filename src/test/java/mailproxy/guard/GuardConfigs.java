package mailproxy.guard;

import mailproxy.config.ConfigLoader;
import mailproxy.config.GuardConfig;

/** Guard configs read the way the proxy reads them: reference.conf under the given keys. */
final class GuardConfigs {
    private GuardConfigs() {}

    /** {@code guard} and {@code state} are the bodies of mailproxy.guard { } and mailproxy.state { }. */
    static GuardConfig of(String guard, String state) {
        return ConfigLoader.parse("mailproxy { guard { " + guard + " }\n state { " + state + " } }", "test.conf").guard();
    }

    static GuardConfig of(String guard) {
        return of(guard, "");
    }
}
