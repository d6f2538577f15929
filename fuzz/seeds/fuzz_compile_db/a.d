obj/a.o: src/a.c /abs/b.h \
  inc/c\ d.h dollar$$x.h hash\#1.h

/abs/b.h:
