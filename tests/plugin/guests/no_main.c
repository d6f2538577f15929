/* A shared object that forgot to export hcr_main. */
int not_the_entry_point(int x);
int not_the_entry_point(int x) { return x + 1; }
