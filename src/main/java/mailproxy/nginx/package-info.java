/**
 * {@code --import-nginx}: a parser of nginx's config syntax ({@code Tokenizer},
 * {@code NginxParser}) and the translation of its {@code mail { }} block into a mailproxy
 * config ({@code MailTranslator}, {@code ServerTranslator}, {@code HoconWriter}), with a
 * note for each directive it does not translate. It may import config only, to check the
 * config it writes (docs/ARCHITECTURE.md, "Packages").
 */
package mailproxy.nginx;
