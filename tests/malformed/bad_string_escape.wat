(module (data "\q"))
