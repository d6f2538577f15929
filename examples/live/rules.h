/* rules.h: how the total grows. */
#ifndef RULES_H
#define RULES_H

long rule_apply(long total);
const char *rule_name(void);
int atoi_or(const char *text, int fallback);

#endif
